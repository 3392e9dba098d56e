import { mockServices } from '@backstage/backend-test-utils';
import { EventParams, EventsService } from '@backstage/plugin-events-node';
import knexFactory, { Knex } from 'knex';
import { migrateDeliveryDatabase } from '../../database/DatabaseObservedVersionsStore';
import { DatabaseDoraStore } from '../DatabaseDoraStore';
import {
  createGitHubDoraSubscriber,
  processGitHubDoraInbox,
} from './GitHubDoraEvents';

/*
 * The inbox: a delivery whose repository the catalog does not know yet (it reads its locations
 * after the backend starts, while GitHub may already be sending) waits in the database and
 * becomes DORA events once the catalog knows it; a failing ingestion is retried the same way.
 */

const SHA = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
const REF = 'component:default/payments-api';
const push = {
  ref: 'refs/heads/main',
  after: SHA,
  repository: {
    full_name: 'acme/payments-api',
    default_branch: 'main',
    pushed_at: 1795167012,
  },
  commits: [{ id: SHA, timestamp: '2026-11-20T10:15:00+01:00' }],
};

describe('DORA inbox', () => {
  let db: Knex;
  let store: DatabaseDoraStore;
  let deliver: (event: EventParams) => Promise<void>;
  let known: string[];
  let failing: boolean;

  beforeEach(async () => {
    db = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    await migrateDeliveryDatabase(db);
    store = new DatabaseDoraStore(db);
    known = [];
    failing = false;
    const events = {
      subscribe: async (o: { onEvent: (e: EventParams) => Promise<void> }) => {
        deliver = o.onEvent;
      },
    } as unknown as EventsService;
    await createGitHubDoraSubscriber({ events, ...options() });
  });

  afterEach(async () => {
    await db.destroy();
  });

  function options() {
    return {
      ingest: async (event: Parameters<DatabaseDoraStore['ingest']>[0]) => {
        if (failing) throw new Error('database away');
        return store.ingest(event);
      },
      entitiesOfRepository: async () => known,
      inbox: store,
      logger: mockServices.logger.mock(),
    };
  }

  const received = () => ({
    topic: 'github',
    eventPayload: push,
    metadata: { 'x-github-event': 'push', 'x-github-delivery': 'd-1' },
  });

  it('keeps a delivery for an unknown repository until the catalog knows it', async () => {
    await deliver(received());
    expect(await store.has(`github:push:acme/payments-api:${SHA}:${REF}`)).toBe(
      false,
    );
    expect(await store.inbox({ limit: 10 })).toEqual([
      expect.objectContaining({ name: 'push', attempts: 1, deliveryId: 'd-1' }),
    ]);
    expect(await processGitHubDoraInbox(options())).toBe(0);

    known = [REF];
    expect(await processGitHubDoraInbox(options())).toBe(1);
    expect(await store.has(`github:push:acme/payments-api:${SHA}:${REF}`)).toBe(
      true,
    );
    expect(await store.inbox({ limit: 10 })).toEqual([]);
  });

  it('processes a known repository at once and retries a failed ingestion', async () => {
    known = [REF];
    failing = true;
    await deliver(received());
    expect(await store.inbox({ limit: 10 })).toEqual([
      expect.objectContaining({ attempts: 1 }),
    ]);
    failing = false;
    expect(await processGitHubDoraInbox(options())).toBe(1);
    await deliver(received());
    expect(await store.inbox({ limit: 10 })).toEqual([]);
    expect(await store.pruneInbox({ before: Date.now() + 1 })).toBe(0);
  });
});
