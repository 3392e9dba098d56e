import { DeploymentStatus } from '@internal/plugin-delivery-common';
import { DeploymentRecord, DeploymentStore } from '../database/DeploymentStore';
import { DeliveryEventType, Notifier } from '../services/Notifier';

/**
 * The per-service deploy queues over time, apart from any pipeline: calling heads, expiring calls
 * nobody started, and ending deployments (which frees the slot and calls the next). Every
 * transition is a conditional update in the store, so every replica may run this at once.
 */
export class DeployQueue {
  constructor(
    private readonly deps: {
      store: DeploymentStore;
      notifier: Notifier;
      /** How long a called requester has to start. */
      callTimeoutMs: number;
      clock?: () => Date;
    },
  ) {}

  #now() {
    return this.deps.clock?.() ?? new Date();
  }

  /** One round: expire calls that ran out, then call every queue head that may be called. */
  async tick(): Promise<void> {
    for (const expired of await this.deps.store.expireCalls({
      now: this.#now(),
    })) {
      await this.deps.notifier.deploymentChanged({
        type: 'expired',
        deployment: expired,
      });
    }
    await this.callDue();
  }

  /** Calls the heads that may be called (of one service, or of all); tells their requesters. */
  async callDue(options?: { entityRef?: string }): Promise<DeploymentRecord[]> {
    const called = await this.deps.store.callDue({
      now: this.#now(),
      callTimeoutMs: this.deps.callTimeoutMs,
      ...(options?.entityRef ? { entityRef: options.entityRef } : {}),
    });
    for (const deployment of called) {
      await this.deps.notifier.deploymentChanged({
        type: 'called',
        deployment,
      });
    }
    return called;
  }

  /**
   * Ends a started deployment with its pipeline's outcome (once, whichever replica gets there),
   * tells people and calls the next one. Safe to repeat.
   */
  async finish(options: {
    token: string;
    status: DeploymentStatus;
    reason?: string;
  }): Promise<void> {
    const { store, notifier } = this.deps;
    if (
      await store.finish({
        token: options.token,
        status: options.status,
        reason: options.reason,
        now: this.#now(),
      })
    ) {
      const finished = (await store.getDeployment({ token: options.token }))!;
      await notifier.deploymentChanged({
        type: options.status as DeliveryEventType,
        deployment: finished,
        reason: options.reason,
      });
      await this.callDue({ entityRef: finished.entityRef });
    }
  }
}
