import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import {
  EPHEMERAL_LABEL,
  EPHEMERAL_LABEL_MANAGED_BY,
  ephemeralNamespaceName,
} from '@internal/plugin-delivery-common';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateDeliveryDatabase } from '../database/DatabaseObservedVersionsStore';
import { ClientNodeNamespaceProvider } from '../providers/kubernetes/ClientNodeNamespaceProvider';
import { readEphemeralConfig } from './config';
import {
  DatabaseEphemeralStore,
  EphemeralRecord,
} from './DatabaseEphemeralStore';
import { EphemeralEnvironmentService } from './EphemeralEnvironmentService';
import { namespaceMetadata } from './manifests';
import { ConfigReader } from '@backstage/config';

/*
 * The sweep, as two replicas run it at once on one database against one cluster (the sandbox):
 * every expired environment's namespace is deleted exactly once and its environment marked
 * deleted once; persistent and unexpired ones stay; an expired namespace of ours that no live
 * environment owns goes; one that is not ours stays; a second sweep finds nothing to do.
 */

jest.setTimeout(120_000);

const databases = createTestDatabases();
const SERVICE = 'component:default/payments-api';
const HOUR = 3_600_000;

describe.each(databases.eachSupportedId())(
  'the ephemeral sweep on %p',
  (databaseId: TestDatabaseId) => {
    let sandbox: Sandbox;

    beforeAll(async () => {
      sandbox = await startSandbox({ rolloutStepMs: 20 });
    });

    afterAll(async () => {
      await sandbox?.close();
    });

    it('deletes each expired namespace once across two replicas, and again nothing', async () => {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      const clusters = [
        {
          name: 'uat',
          url: sandbox.clusterUrls.uat,
          token: 'sandbox',
          skipTLSVerify: true,
        },
      ];
      const config = readEphemeralConfig(
        new ConfigReader({}),
        [{ name: 'uat', cluster: 'uat', namespace: 'default' }],
        ['uat'],
      );
      const namespaces = new ClientNodeNamespaceProvider({
        clusters,
        timeoutMs: 10_000,
      });
      const told: string[] = [];
      const now = new Date();
      const replica = () =>
        new EphemeralEnvironmentService({
          store: new DatabaseEphemeralStore(knex),
          config,
          engine: undefined as never,
          runs: undefined as never,
          kubernetes: undefined as never,
          github: undefined as never,
          permissions: mockServices.permissions(),
          imageTemplate: '{{repository}}:{{sha}}',
          namespaces,
          events: {
            changed: async () => {},
            told: async (type, env) => {
              told.push(`${type}:${env.id}`);
            },
          },
          logger: mockServices.logger.mock(),
          sweepConcurrency: 4,
        });
      const store = new DatabaseEphemeralStore(knex);

      const make = async (
        i: number,
        options: {
          expiresAt: Date;
          persistent?: boolean;
          status?: EphemeralRecord['status'];
          inCluster?: boolean;
        },
      ): Promise<EphemeralRecord> => {
        const branch = `deploy/sweep-${i}`;
        const env: EphemeralRecord = {
          id: `ENV-${now.getTime()}-${String(i).padStart(6, '0')}`,
          entityRef: SERVICE,
          branch,
          cluster: 'uat',
          namespace: ephemeralNamespaceName(SERVICE, branch),
          commitSha: 'a'.repeat(40),
          status: options.status ?? 'ready',
          createdBy: 'user:default/dev-one',
          createdAt: new Date(now.getTime() - 4 * HOUR),
          updatedAt: new Date(now.getTime() - 4 * HOUR),
          expiresAt: options.expiresAt,
          persistent: options.persistent ?? false,
        };
        await store.insert(env);
        if (options.inCluster ?? true) {
          await namespaces.applyNamespace({
            cluster: 'uat',
            name: env.namespace,
            ...namespaceMetadata(env),
          });
        }
        return env;
      };
      const expired = [];
      for (let i = 0; i < 30; i++) {
        expired.push(
          await make(i, { expiresAt: new Date(now.getTime() - HOUR) }),
        );
      }
      const persistent = await make(100, {
        expiresAt: new Date(now.getTime() - HOUR),
        persistent: true,
      });
      const fresh = await make(101, {
        expiresAt: new Date(now.getTime() + HOUR),
      });
      // One of them is already gone from the cluster: it is swept all the same.
      await namespaces.deleteNamespace({
        cluster: 'uat',
        name: expired[0].namespace,
      });
      // An orphan: ours, expired, no environment (deleted while its run made the namespace).
      const orphan = {
        entityRef: SERVICE,
        branch: 'deploy/orphan',
        createdBy: 'user:default/dev-one',
        expiresAt: new Date(now.getTime() - HOUR),
        persistent: false,
      };
      const orphanName = ephemeralNamespaceName(SERVICE, orphan.branch);
      await namespaces.applyNamespace({
        cluster: 'uat',
        name: orphanName,
        ...namespaceMetadata(orphan),
      });
      // Made, then its namespace deleted by hand: the environment is over.
      const vanished = await make(102, {
        expiresAt: new Date(now.getTime() + HOUR),
        inCluster: false,
      });
      // Still being created: its namespace is yet to come.
      const creating = await make(103, {
        expiresAt: new Date(now.getTime() + HOUR),
        status: 'creating',
        inCluster: false,
      });
      // Expired and ours, but labelled persistent by an admin: left alone.
      await namespaces.applyNamespace({
        cluster: 'uat',
        name: 'kept-by-hand',
        ...namespaceMetadata({
          ...orphan,
          branch: 'deploy/kept',
          persistent: true,
        }),
      });
      // Someone else's namespace with an expiration label: not ours to delete.
      await namespaces.applyNamespace({
        cluster: 'uat',
        name: 'team-sandbox',
        labels: {
          [EPHEMERAL_LABEL]: 'true',
          expiration: '2020-01-01T00-00-00Z',
        },
        annotations: {},
      });

      const [a, b] = await Promise.all([
        replica().sweep({ type: 'system', ref: 'delivery' }),
        replica().sweep({ type: 'system', ref: 'delivery' }),
      ]);
      expect(a.failed).toEqual([]);
      expect(b.failed).toEqual([]);
      const both = [...a.deleted, ...b.deleted];
      // Each namespace once, by one replica or the other.
      expect(new Set(both).size).toBe(both.length);
      expect(both.sort()).toEqual(
        [...expired.map(e => e.namespace), orphanName].sort(),
      );

      for (const env of expired) {
        const stored = await store.get(env.id);
        expect(stored).toMatchObject({
          status: 'deleted',
          statusReason: 'expired',
          deletedBy: 'delivery',
        });
      }
      expect((await store.get(persistent.id))?.status).toBe('ready');
      expect((await store.get(fresh.id))?.status).toBe('ready');
      expect(await store.get(vanished.id)).toMatchObject({
        status: 'deleted',
        statusReason: 'its namespace was deleted outside the portal',
        deletedBy: 'delivery',
      });
      expect((await store.get(creating.id))?.status).toBe('creating');

      const left = await namespaces.listNamespaces({
        cluster: 'uat',
        labelSelector: `${EPHEMERAL_LABEL}=true`,
      });
      const alive = left
        .filter(ns => ns.phase !== 'Terminating')
        .map(ns => ns.name)
        .sort();
      expect(alive).toEqual(
        [
          persistent.namespace,
          fresh.namespace,
          'kept-by-hand',
          'team-sandbox',
        ].sort(),
      );
      expect(
        left.find(ns => ns.name === 'team-sandbox')?.labels[
          EPHEMERAL_LABEL_MANAGED_BY
        ],
      ).toBeUndefined();

      // Creators are told once per environment.
      const deadline = Date.now() + 10_000;
      while (told.length < expired.length && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 50));
      }
      expect(told.sort()).toEqual(expired.map(e => `deleted:${e.id}`).sort());

      // Idempotent: nothing left to do.
      const again = await replica().sweep({ type: 'system', ref: 'delivery' });
      expect(again).toMatchObject({ deleted: [], failed: [] });
      expect(told).toHaveLength(expired.length);

      // Retention forgets deleted environments, never live ones.
      expect(
        await store.pruneDeleted({ before: new Date(now.getTime() - HOUR) }),
      ).toBe(0);
      expect(
        await store.pruneDeleted({ before: new Date(Date.now() + 1000) }),
      ).toBe(expired.length + 1);
      expect(await store.get(expired[1].id)).toBeUndefined();
      expect((await store.get(fresh.id))?.status).toBe('ready');
    });
  },
);

describe.each(databases.eachSupportedId())(
  'reminders before expiry on %p',
  (databaseId: TestDatabaseId) => {
    it('tells the creator once per expiry, an hour before, and again after an extension', async () => {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      const store = new DatabaseEphemeralStore(knex);
      const told: string[] = [];
      let now = new Date('2026-11-30T10:00:00Z');
      const replica = () =>
        new EphemeralEnvironmentService({
          store: new DatabaseEphemeralStore(knex),
          config: readEphemeralConfig(
            new ConfigReader({}),
            [{ name: 'uat', cluster: 'uat', namespace: 'default' }],
            ['uat'],
          ),
          engine: undefined as never,
          runs: undefined as never,
          kubernetes: undefined as never,
          github: undefined as never,
          namespaces: undefined as never,
          permissions: mockServices.permissions(),
          imageTemplate: '{{repository}}:{{sha}}',
          events: {
            changed: async () => {},
            told: async (type, env, detail) => {
              told.push(`${type}:${env.branch}:${detail}`);
            },
          },
          logger: mockServices.logger.mock(),
          now: () => now,
        });
      const base = {
        entityRef: SERVICE,
        cluster: 'uat',
        commitSha: 'a'.repeat(40),
        status: 'ready' as const,
        createdBy: 'user:default/dev-one',
        createdAt: new Date('2026-11-30T08:00:00Z'),
        updatedAt: new Date('2026-11-30T08:00:00Z'),
        persistent: false,
      };
      const add = (i: number, branch: string, expiresAt: string, extra = {}) =>
        store.insert({
          ...base,
          id: `ENV-1795900000000-00000${i}`,
          branch,
          namespace: ephemeralNamespaceName(SERVICE, branch),
          expiresAt: new Date(expiresAt),
          ...extra,
        });
      await add(1, 'deploy/soon', '2026-11-30T10:40:00Z');
      await add(2, 'deploy/later', '2026-11-30T12:00:00Z');
      await add(3, 'deploy/kept', '2026-11-30T10:30:00Z', { persistent: true });
      await add(4, 'deploy/past', '2026-11-30T09:59:00Z');

      // Two replicas at once: one message.
      const counts = await Promise.all([
        replica().remind(),
        replica().remind(),
      ]);
      expect(counts[0] + counts[1]).toBe(1);
      expect(told).toEqual([
        'expiring:deploy/soon:it expires in 40 min (2026-11-30T10:40:00.000Z); extend it from the Environments tab',
      ]);
      expect(await replica().remind()).toBe(0);

      // Extended: a new expiry, reminded again when it comes near.
      await store.update(
        'ENV-1795900000000-000001',
        { expiresAt: new Date('2026-11-30T11:40:00Z') },
        { at: now },
      );
      expect(await replica().remind()).toBe(0);
      now = new Date('2026-11-30T11:00:00Z');
      expect(await replica().remind()).toBe(2);
      expect(told.slice(1).sort()).toEqual([
        'expiring:deploy/later:it expires in 1 h (2026-11-30T12:00:00.000Z); extend it from the Environments tab',
        'expiring:deploy/soon:it expires in 40 min (2026-11-30T11:40:00.000Z); extend it from the Environments tab',
      ]);
    });
  },
);
