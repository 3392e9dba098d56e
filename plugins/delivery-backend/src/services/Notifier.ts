import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  DeliveryEnvironmentsSignal,
  DeliveryFlagsSignal,
  DeliveryRollbackSignal,
  deliveryEnvironmentsSignalChannel,
  DeliverySignal,
  deliveryFlagsSignalChannel,
  deliveryRollbackSignalChannel,
  deliverySignalChannel,
} from '@internal/plugin-delivery-common';
import { DeploymentRecord } from '../database/DeploymentStore';

/** Moments people are told about. */
export type DeliveryEventType =
  | 'called'
  | 'started'
  | 'succeeded'
  | 'rolled_back'
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'uncalled'
  | 'stage';

const TITLES: Record<Exclude<DeliveryEventType, 'stage'>, string> = {
  called: 'Your deployment is called: start it now',
  started: 'Deployment started',
  succeeded: 'Deployment reached production',
  rolled_back: 'Deployment rolled back',
  failed: 'Deployment failed',
  expired: 'Deployment expired: it was not started in time',
  cancelled: 'Deployment cancelled',
  uncalled: 'Your call was withdrawn: the queue is locked',
};

const SEVERITY: Record<
  Exclude<DeliveryEventType, 'stage'>,
  'low' | 'normal' | 'high' | 'critical'
> = {
  called: 'high',
  started: 'low',
  succeeded: 'normal',
  rolled_back: 'high',
  failed: 'critical',
  expired: 'normal',
  cancelled: 'low',
  uncalled: 'high',
};

/**
 * Tells people about deployments: Backstage notifications to the requester, a Slack-compatible
 * chat webhook, and signals to browsers showing the service. Never throws: a failed message is
 * logged and the pipeline goes on.
 */
export class Notifier {
  constructor(
    private readonly options: {
      logger: LoggerService;
      notifications?: NotificationService;
      signals?: SignalsService;
      chatWebhookUrl?: string;
      /** Group paged by {@link Notifier.alertOnCall}. */
      onCallGroup?: string;
      /** Base URL of the portal frontend, for links. */
      appBaseUrl: string;
    },
  ) {}

  async deploymentChanged(event: {
    type: DeliveryEventType;
    deployment: DeploymentRecord;
    stage?: string;
    reason?: string;
  }): Promise<void> {
    const { deployment } = event;
    await Promise.all([
      this.#signal(
        {
          token: deployment.token,
          status: deployment.status,
          ...(event.stage ? { stage: event.stage } : {}),
        },
        deployment.entityRef,
      ),
      event.type === 'stage'
        ? undefined
        : this.#notify(event.type, deployment, event.reason),
      event.type === 'stage' || event.type === 'started'
        ? undefined
        : this.#chat(event.type, deployment, event.reason),
    ]);
  }

  /**
   * Pages the on-call group about a deployment that needs a person now (Backstage notification
   * to the group and the chat webhook); `resolved` tells them it is over. Never throws.
   */
  async alertOnCall(alert: {
    deployment: Pick<DeploymentRecord, 'token' | 'entityRef'>;
    title: string;
    description: string;
    resolved?: boolean;
  }): Promise<void> {
    const { deployment: d } = alert;
    const { notifications, onCallGroup, logger } = this.options;
    logger[alert.resolved ? 'info' : 'error'](
      `${alert.title}: ${alert.description}`,
    );
    await Promise.all([
      notifications && onCallGroup
        ? notifications
            .send({
              recipients: { type: 'entity', entityRef: onCallGroup },
              payload: {
                title: alert.title,
                description: alert.description,
                link: this.#link(d),
                severity: alert.resolved ? 'normal' : 'critical',
                topic: `delivery:${d.token}`,
                scope: `delivery:${d.token}:on-call`,
              },
            })
            .catch(error =>
              logger.warn(
                `Could not page ${onCallGroup} about ${d.token}: ${error}`,
              ),
            )
        : undefined,
      this.#postChat(
        `${alert.resolved ? '' : ':rotating_light: '}*${alert.title}* — ${
          alert.description
        }${onCallGroup ? ` (${onCallGroup})` : ''} <${this.#link(d)}|open>`,
        d.token,
      ),
    ]);
  }

  #link(deployment: Pick<DeploymentRecord, 'token' | 'entityRef'>): string {
    return `${this.#entityPage(deployment.entityRef)}/deployments?token=${
      deployment.token
    }`;
  }

  /** The service's page in the portal. */
  #entityPage(entityRef: string): string {
    const [kind, rest] = entityRef.split(':');
    const [namespace, name] = rest.split('/');
    return `${this.options.appBaseUrl}/catalog/${namespace}/${kind}/${name}`;
  }

  #describe(
    type: Exclude<DeliveryEventType, 'stage'>,
    d: DeploymentRecord,
    reason?: string,
  ): string {
    const what = `${d.token} of ${d.entityRef} at ${d.commitSha.slice(0, 7)}`;
    const why = reason ?? d.reason;
    switch (type) {
      case 'called':
        return `${what} is at the head of the queue. Start it before ${d.callExpiresAt?.toISOString()}.`;
      default:
        return why ? `${what}: ${why}` : `${what}.`;
    }
  }

  async #notify(
    type: Exclude<DeliveryEventType, 'stage'>,
    d: DeploymentRecord,
    reason?: string,
  ) {
    if (!this.options.notifications) return;
    try {
      await this.options.notifications.send({
        recipients: { type: 'entity', entityRef: d.requestedBy },
        payload: {
          title: TITLES[type],
          description: this.#describe(type, d, reason),
          link: this.#link(d),
          severity: SEVERITY[type],
          topic: `delivery:${d.token}`,
          scope: `delivery:${d.token}:${type}`,
        },
      });
    } catch (error) {
      this.options.logger.warn(
        `Could not send the ${type} notification for ${d.token}: ${error}`,
      );
    }
  }

  async #chat(
    type: Exclude<DeliveryEventType, 'stage'>,
    d: DeploymentRecord,
    reason?: string,
  ) {
    await this.#postChat(
      `*${TITLES[type]}* — ${this.#describe(type, d, reason)} (requested by ${
        d.requestedBy
      }) <${this.#link(d)}|open>`,
      d.token,
    );
  }

  async #postChat(text: string, token: string) {
    if (!this.options.chatWebhookUrl) return;
    try {
      const response = await fetch(this.options.chatWebhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status} ${await response.text()}`);
      }
    } catch (error) {
      this.options.logger.warn(`Chat webhook failed for ${token}: ${error}`);
    }
  }

  /** Tells browsers showing a service's flags that they changed (the Flags tab reads again). */
  async flagsChanged(change: DeliveryFlagsSignal): Promise<void> {
    await this.#publish(
      deliveryFlagsSignalChannel(change.entityRef),
      change,
      'flags',
    );
  }

  /** Tells browsers showing a service's Rollback tab that something changed there. */
  async rollbackChanged(change: DeliveryRollbackSignal): Promise<void> {
    await this.#publish(
      deliveryRollbackSignalChannel(change.entityRef),
      change,
      'rollback',
    );
  }

  /**
   * Tells people about a rollback as loud as its severity, as the process's alerting strategy
   * has it: critical pages the on-call group (notification and chat), warning goes to chat and
   * the group's notifications, info to chat only. Never throws.
   */
  async rollbackAlert(alert: {
    entityRef: string;
    id: string;
    severity: 'critical' | 'warning' | 'info';
    title: string;
    description: string;
    resolved?: boolean;
  }): Promise<void> {
    const { notifications, onCallGroup, logger } = this.options;
    const link = this.rollbackLink(alert.entityRef);
    logger[alert.severity === 'critical' && !alert.resolved ? 'error' : 'info'](
      `${alert.title}: ${alert.description}`,
    );
    const loud = !alert.resolved && alert.severity !== 'info';
    let icon = '';
    if (loud)
      icon = alert.severity === 'critical' ? ':rotating_light: ' : ':warning: ';
    let severity: 'normal' | 'high' | 'critical' = 'normal';
    if (loud) severity = alert.severity === 'critical' ? 'critical' : 'high';
    await Promise.all([
      notifications && onCallGroup && alert.severity !== 'info'
        ? notifications
            .send({
              recipients: { type: 'entity', entityRef: onCallGroup },
              payload: {
                title: alert.title,
                description: alert.description,
                link,
                severity,
                topic: `delivery:${alert.id}`,
                scope: `delivery:${alert.id}:${
                  alert.resolved ? 'resolved' : 'alert'
                }`,
              },
            })
            .catch(error =>
              logger.warn(
                `Could not tell ${onCallGroup} about ${alert.id}: ${error}`,
              ),
            )
        : undefined,
      this.#postChat(
        `${icon}*${alert.title}* — ${alert.description}${
          onCallGroup && alert.severity === 'critical'
            ? ` (${onCallGroup})`
            : ''
        } <${link}|open>`,
        alert.id,
      ),
    ]);
  }

  /** Tells browsers showing a service's Environments tab that one of them changed. */
  async environmentChanged(change: DeliveryEnvironmentsSignal): Promise<void> {
    await this.#publish(
      deliveryEnvironmentsSignalChannel(change.entityRef),
      change,
      'environments',
    );
  }

  /**
   * Tells an ephemeral environment's creator about it (ready, expiring, deleted, failed) and,
   * for `ready`, the chat channel too, with the links, as the process asks. Never throws.
   */
  async environmentEvent(event: {
    type: 'ready' | 'updated' | 'expiring' | 'deleted' | 'failed';
    environment: {
      id: string;
      entityRef: string;
      namespace: string;
      branch: string;
      cluster: string;
      commitSha: string;
      createdBy: string;
    };
    /** What happened, e.g. `ready until <time>` or the reason it was deleted. */
    detail: string;
    links: { appUrl?: string; dashboardUrl?: string };
  }): Promise<void> {
    const env = event.environment;
    const sha = env.commitSha.slice(0, 7);
    const titles = {
      ready: `Environment ${env.namespace} is ready`,
      updated: `Environment ${env.namespace} runs ${sha}`,
      expiring: `Environment ${env.namespace} expires soon`,
      deleted: `Environment ${env.namespace} was deleted`,
      failed: `Environment ${env.namespace} failed`,
    };
    const title = titles[event.type];
    const description = `${env.branch} of ${env.entityRef} at ${sha} in ${env.namespace} (${env.cluster}): ${event.detail}`;
    const links = [
      ...(event.links.appUrl
        ? [{ title: 'app', url: event.links.appUrl }]
        : []),
      ...(event.links.dashboardUrl
        ? [{ title: 'dashboard', url: event.links.dashboardUrl }]
        : []),
    ];
    const { notifications, logger } = this.options;
    const link = this.environmentsLink(env.entityRef);
    const severity: 'low' | 'normal' | 'high' =
      event.type === 'expiring' || event.type === 'failed' ? 'high' : 'normal';
    const linkText = links.map(l => `<${l.url}|${l.title}>`).join(' · ');
    await Promise.all([
      notifications
        ?.send({
          recipients: { type: 'entity', entityRef: env.createdBy },
          payload: {
            title,
            description,
            link,
            severity,
            topic: `delivery:${env.id}`,
            scope: `delivery:${env.id}:${event.type}`,
          },
        })
        .catch(error =>
          logger.warn(
            `Could not tell ${env.createdBy} about ${env.id}: ${error}`,
          ),
        ),
      event.type === 'ready' || event.type === 'updated'
        ? this.#postChat(
            `*${title}* — ${description} (${env.createdBy}) ${
              linkText ? `${linkText} · ` : ''
            }<${link}|open>`,
            env.id,
          )
        : undefined,
    ]);
  }

  /** Link to a service's Environments tab. */
  environmentsLink(entityRef: string): string {
    return `${this.#entityPage(entityRef)}/environments`;
  }

  /** Link to a service's Rollback tab. */
  rollbackLink(entityRef: string): string {
    return `${this.#entityPage(entityRef)}/rollback`;
  }

  async #signal(message: DeliverySignal, entityRef: string) {
    await this.#publish(deliverySignalChannel(entityRef), message, 'delivery');
  }

  /** Broadcasts a signal on a channel; a failure is logged, never thrown. */
  async #publish(
    channel: string,
    message:
      | DeliverySignal
      | DeliveryFlagsSignal
      | DeliveryRollbackSignal
      | DeliveryEnvironmentsSignal,
    what: string,
  ) {
    if (!this.options.signals) return;
    try {
      await this.options.signals.publish({
        recipients: { type: 'broadcast' },
        channel,
        message: { ...message },
      });
    } catch (error) {
      this.options.logger.warn(`Could not publish a ${what} signal: ${error}`);
    }
  }
}
