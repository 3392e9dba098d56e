import { TestDatabaseId } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  migrateDeliveryDatabase,
  rollbackDeliveryDatabase,
} from '../database/DatabaseObservedVersionsStore';
import { DatabaseFlagStore } from './DatabaseFlagStore';
import { FlagSettings } from './FlagStore';

const databases = createTestDatabases();
const ENVIRONMENTS = ['uat', 'canary', 'production'];
const OFF: FlagSettings = { state: 'ENABLED', defaultVariant: 'off' };
const TEN: FlagSettings = {
  state: 'ENABLED',
  defaultVariant: 'off',
  targeting: {
    fractional: [
      ['on', 10],
      ['off', 90],
    ],
  },
};
const at = (s: number) =>
  new Date(Date.parse('2026-11-30T10:00:00Z') + s * 1000);

describe.each(databases.eachSupportedId())(
  'DatabaseFlagStore on %p',
  (databaseId: TestDatabaseId) => {
    async function setup() {
      const knex = await databases.init(databaseId);
      await migrateDeliveryDatabase(knex);
      const store = new DatabaseFlagStore(knex);
      const flag = await store.create(
        {
          entityRef: 'component:default/payments-api',
          key: 'http2-payment-client',
          type: 'boolean',
          variants: { on: true, off: false },
          offVariant: 'off',
          onVariant: 'on',
          change: 'PAY-142',
        },
        Object.fromEntries(ENVIRONMENTS.map(e => [e, OFF])),
        { actor: 'user:default/ada', now: at(0) },
      );
      return { knex, store, flag };
    }

    it('creates a flag with its settings, bumping every environment once', async () => {
      const { store, flag } = await setup();
      expect(flag).toMatchObject({
        key: 'http2-payment-client',
        change: 'PAY-142',
        createdBy: 'user:default/ada',
        settings: {
          uat: { ...OFF, updatedBy: 'user:default/ada', updatedAt: at(0) },
        },
      });
      expect(Object.fromEntries(await store.revisions())).toEqual({
        uat: 1,
        canary: 1,
        production: 1,
      });
      await expect(
        store.create(
          { ...flag, key: 'http2-payment-client' },
          {},
          { actor: 'user:default/grace', now: at(1) },
        ),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('applies a change with its history and revision in one transaction', async () => {
      const { store, flag } = await setup();
      const { before, after } = await store.apply({
        flagId: flag.id,
        environment: 'canary',
        settings: TEN,
        action: 'rollout',
        context: {
          actor: 'delivery',
          now: at(5),
          deployment: 'DEP-0000000000001-000000',
          reason: '10 %',
        },
      });
      expect({ before, after }).toEqual({ before: OFF, after: TEN });
      const revisions = await store.revisions();
      expect([revisions.get('canary'), revisions.get('uat')]).toEqual([2, 1]);
      const served = await store.served('canary');
      expect(served).toEqual({
        revision: 2,
        flags: [
          {
            entityRef: 'component:default/payments-api',
            key: 'http2-payment-client',
            variants: { on: true, off: false },
            change: 'PAY-142',
            settings: TEN,
          },
        ],
      });
      expect((await store.history(flag.id))[0]).toMatchObject({
        action: 'rollout',
        environment: 'canary',
        actor: 'delivery',
        deployment: 'DEP-0000000000001-000000',
        before: OFF,
        after: TEN,
      });

      // A change that expects other settings than the current ones changes nothing.
      await expect(
        store.apply({
          flagId: flag.id,
          environment: 'canary',
          settings: OFF,
          action: 'toggled',
          context: { actor: 'user:default/ada', now: at(6) },
          expected: OFF,
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.revisions()).get('canary')).toBe(2);
      expect((await store.history(flag.id)).length).toBe(2);
    });

    it('bumps revisions exactly once per change when many change at once', async () => {
      const { store, flag } = await setup();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.apply({
            flagId: flag.id,
            environment: 'production',
            settings: i % 2 ? TEN : OFF,
            action: 'rollout',
            context: { actor: 'user:default/ada', now: at(10 + i) },
          }),
        ),
      );
      expect((await store.revisions()).get('production')).toBe(11);
      expect((await store.history(flag.id)).length).toBe(11);
    });

    it('approves a pending change once, and supersedes one whose flag changed meanwhile', async () => {
      const { store, flag } = await setup();
      const asked = await store.requestChange(
        {
          flagId: flag.id,
          environment: 'production',
          action: 'rollout',
          summary: 'on for 10 %',
          before: OFF,
          after: TEN,
        },
        { actor: 'user:default/ada', now: at(1) },
      );
      expect(asked).toMatchObject({
        status: 'pending',
        offVariant: 'off',
        onVariant: 'on',
        flagKey: 'http2-payment-client',
      });
      expect(await store.pendingChanges(flag.entityRef)).toHaveLength(1);
      const approved = await store.decide(asked.id, 'approved', {
        actor: 'user:default/grace',
        now: at(2),
      });
      expect(approved).toMatchObject({
        status: 'approved',
        decidedBy: 'user:default/grace',
      });
      expect(
        (await store.get(flag.entityRef, flag.key))!.settings.production,
      ).toMatchObject({ ...TEN, updatedBy: 'user:default/grace' });
      await expect(
        store.decide(asked.id, 'approved', {
          actor: 'user:default/grace',
          now: at(3),
        }),
      ).rejects.toBeInstanceOf(ConflictError);

      const stale = await store.requestChange(
        {
          flagId: flag.id,
          environment: 'production',
          action: 'toggle',
          summary: 'on for everyone',
          before: OFF,
          after: { state: 'ENABLED', defaultVariant: 'on' },
        },
        { actor: 'user:default/ada', now: at(4) },
      );
      await expect(
        store.decide(stale.id, 'approved', {
          actor: 'user:default/grace',
          now: at(5),
        }),
      ).rejects.toThrow('was not applied');
      expect(await store.getChange(stale.id)).toMatchObject({
        status: 'superseded',
      });
      expect(
        (await store.get(flag.entityRef, flag.key))!.settings.production,
      ).toMatchObject(TEN);
    });

    it('archives: the flag is served no more, and its environments move on', async () => {
      const { store, flag } = await setup();
      await store.archive(flag.id, { actor: 'user:default/ada', now: at(9) });
      expect((await store.served('uat')).flags).toEqual([]);
      expect((await store.revisions()).get('uat')).toBe(2);
      expect(await store.list(flag.entityRef)).toEqual([]);
      expect(await store.list(flag.entityRef, { archived: true })).toHaveLength(
        1,
      );
      await expect(
        store.archive(flag.id, { actor: 'user:default/ada', now: at(10) }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('migrates down and up again', async () => {
      const { knex } = await setup();
      await rollbackDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_flags')).toBe(false);
      await migrateDeliveryDatabase(knex);
      expect(await knex.schema.hasTable('delivery_flag_revisions')).toBe(true);
      expect(await knex.schema.hasColumn('delivery_deployments', 'flags')).toBe(
        true,
      );
    });
  },
);
