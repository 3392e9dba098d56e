import { TestDatabases, mockServices } from '@backstage/backend-test-utils';

/**
 * The databases store tests run on: SQLite always, and PostgreSQL when the test command is given
 * a connection (BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING; see scripts/test.sh).
 * Call at the top of a test file: it registers the hooks that clean the databases up.
 */
export function createTestDatabases() {
  return TestDatabases.create({
    ids: [
      'POSTGRES_18',
      'POSTGRES_17',
      'POSTGRES_16',
      'POSTGRES_15',
      'POSTGRES_14',
      'POSTGRES_13',
      'SQLITE_3',
    ],
    disableDocker: true,
  });
}

/**
 * A database for `startTestBackend` that the test file owns. The test backend's default database
 * (in-memory SQLite) is never closed when the backend stops (backend-defaults' DatabaseManager
 * skips SQLite connections on shutdown), and its connection pool then keeps the jest worker
 * alive ("A worker process has failed to exit gracefully"). This one is destroyed after the
 * file's tests. Call at the top level of a test file; await the result of the returned function
 * among the backend's features.
 */
export function createTestBackendDatabase() {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3'],
    disableDocker: true,
  });
  return async () =>
    mockServices.database.factory({ knex: await databases.init('SQLITE_3') });
}

/**
 * The PostgreSQL connection strings the test command was given
 * (BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING), for tests that run real backend
 * processes on PostgreSQL; empty without one.
 */
export function postgresConnections(): string[] {
  return Object.entries(process.env)
    .filter(
      ([key, value]) =>
        /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(key) &&
        value,
    )
    .map(([, value]) => value!);
}
