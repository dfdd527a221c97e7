import pg from 'pg';
import { describe } from 'vitest';
import { postgresAvailable, requireService } from '../../test/helpers/services.ts';
import { openPostgresStorage } from './postgres.ts';
import { storageContract } from './storage.contract.ts';

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const schema = `t_${process.pid}_${Date.now()}`;
const run = requireService('PostgreSQL', await postgresAvailable(url));

describe.skipIf(!run)('PostgreSQL store', () => {
  storageContract('PostgreSQL', () => openPostgresStorage({ url, schema }), async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });
});
