import { TestDatabases } from '@backstage/backend-test-utils';

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
