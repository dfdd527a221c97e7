import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/**
 * Tests that need PostgreSQL or Mosquitto run when the service is there, skip with a clear message when it is
 * not — and fail instead when REQUIRE_SERVICES=1 (CI), so a missing service can never pass silently.
 */
export async function postgresAvailable(url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  // A connection that dies after connect() emits 'error' on the client: without a listener it would crash the worker.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The mosquitto executable on PATH, or in /usr/sbin or /usr/local/sbin (Debian installs it there, off a user's PATH). */
export async function mosquittoBinary(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'mosquitto');
    try {
      await access(p, constants.X_OK);
      if ((await stat(p)).isFile()) return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const HOW_TO_ENABLE: Record<string, string> = {
  PostgreSQL: 'start PostgreSQL and point DATABASE_URL at it (default postgres://postgres@127.0.0.1:5432/test)',
  Mosquitto: 'install mosquitto (apt-get install mosquitto) so that `mosquitto` is on PATH or in /usr/sbin',
};

/**
 * Whether to run the tests that need `name`: `describe.skipIf(!requireService('PostgreSQL', await postgresAvailable()))`.
 * Unavailable: a warning naming the service and how to enable it, or an error when REQUIRE_SERVICES=1.
 */
export function requireService(name: string, available: boolean): boolean {
  if (available) return true;
  const how = HOW_TO_ENABLE[name] ?? `make ${name} available`;
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (REQUIRE_SERVICES=1) but not available: ${how}, or unset REQUIRE_SERVICES to skip these tests`);
  }
  console.warn(`SKIPPED: ${name} is not available, so the tests that need it do not run. To run them, ${how}. Set REQUIRE_SERVICES=1 to make this an error.`);
  return false;
}
