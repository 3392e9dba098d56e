export type {
  PagerDutyAlert,
  PagerDutyLink,
  PagerDutyProvider,
  PagerDutySeverity,
} from './PagerDutyProvider';
export {
  DEFAULT_PAGERDUTY_EVENTS_URL,
  PagerDutyEventsProvider,
  createPagerDutyProvider,
} from './PagerDutyEventsProvider';
export type { PagerDutyEventsProviderOptions } from './PagerDutyEventsProvider';
