/*
 * The sandbox PagerDuty: the Events API v2 (alert and change events), with the incidents its
 * events opened and every event it received kept for inspection.
 */
export { startPagerDutyServer } from './PagerDutyServer';
export type {
  HeldPagerDutyResponse,
  PagerDutyServer,
  PagerDutyServerOptions,
} from './PagerDutyServer';
export {
  PagerDutyState,
  SANDBOX_PAGERDUTY_ROUTING_KEY,
} from './PagerDutyState';
export type {
  PagerDutyEventOutcome,
  PagerDutyIncident,
  PagerDutyIncidentStatus,
  PagerDutyReceipt,
  PagerDutyReceivedEvent,
} from './PagerDutyState';
export {
  MAX_DEDUP_KEY_LENGTH,
  MAX_SUMMARY_LENGTH,
  PAGERDUTY_EVENT_ACTIONS,
  PAGERDUTY_SEVERITIES,
  ROUTING_KEY_LENGTH,
  parseAlertEvent,
  parseChangeEvent,
} from './events';
export type {
  PagerDutyAlertEvent,
  PagerDutyChangeEvent,
  PagerDutyEventAction,
  PagerDutyImage,
  PagerDutyLink,
  PagerDutyPayload,
  PagerDutySeverity,
} from './events';
