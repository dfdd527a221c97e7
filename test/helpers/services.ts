import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/**
 * Tests that need PostgreSQL or Mosquitto run when the service is there, skip with a clear message when it is
 * not — and fail instead when REQUIRE_SERVICES=1 (CI), so a missing service can never pass silently.
 */
export async function postgresAvailable(url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
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

export async function mosquittoBinary(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const p = join(d, 'mosquitto');
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

export function requireService(name: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (REQUIRE_SERVICES=1) but not available: start it, or unset REQUIRE_SERVICES to skip these tests`);
  }
  console.warn(`${name} is not available: skipping the tests that need it (set REQUIRE_SERVICES=1 to make this an error)`);
  return false;
}
