/*
 * One delivery backend replica as a real process, for the durability tests and the benchmark:
 * the delivery plugin on the real backend (HTTP server, scheduler, database from config) with the
 * sandbox's services in a mock catalog and mock auth, so requests authenticate with
 * `mockCredentials.user.header(ref)`. Its whole configuration comes as JSON in
 * DELIVERY_REPLICA_CONFIG (see replicas.ts); it prints READY_LINE once it listens.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs dev/replica.ts
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SANDBOX_JENKINS, buildSeed } from '@internal/sandbox';
import { READY_LINE, seedComponent } from './replicas';

/**
 * The sandbox's services; those with a job in the sandbox Jenkins (under their repository's
 * folder) name it, which runs a Jenkins stage only when `delivery.jenkins` is configured.
 */
function entities(): Entity[] {
  return buildSeed(Date.now()).services.map(s => {
    const job = SANDBOX_JENKINS.jobs.find(j =>
      j.fullName.startsWith(`${s.projectSlug}/`),
    );
    return seedComponent(
      s,
      job ? { 'jenkins.io/job-full-name': job.fullName } : {},
    );
  });
}

async function main() {
  const raw = process.env.DELIVERY_REPLICA_CONFIG;
  if (!raw) throw new Error('DELIVERY_REPLICA_CONFIG (JSON) is not set');
  const backend = createBackend();
  backend.add(mockServices.rootConfig.factory({ data: JSON.parse(raw) }));
  backend.add(
    mockServices.httpAuth.factory({
      defaultCredentials: mockCredentials.none(),
    }),
  );
  backend.add(mockServices.auth.factory());
  // The default root logger compiles every package's config schema at start (seconds).
  backend.add(
    mockServices.rootLogger.factory({
      level: (process.env.LOG_LEVEL as 'warn' | undefined) ?? 'warn',
    }),
  );
  backend.add(
    mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
  );
  backend.add(catalogServiceMock.factory({ entities: entities() }));
  backend.add(import('../src'));
  await backend.start();
  process.stdout.write(`${READY_LINE} pid=${process.pid}\n`);
}

main().catch(error => {
  process.stderr.write(`replica failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
