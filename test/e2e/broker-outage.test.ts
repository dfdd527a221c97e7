import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { mosquittoBinary, postgresAvailable, requireService } from '../helpers/services.ts';
import { scenario, sleep, type Scenario } from './fixture.ts';

/**
 * (c) A real Mosquitto (started by the test on a free port) is stopped for 30 s mid-stream. The hub consumes
 * through an MQTT v5 shared subscription and stores in PostgreSQL (a database made for this run).
 */
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const run = requireService('Mosquitto', !!(await mosquittoBinary())) && requireService('PostgreSQL', await postgresAvailable(PG_URL));

describe.skipIf(!run)('e2e: broker stopped for 30 s (Mosquitto, PostgreSQL hub)', () => {
  let s: Scenario | undefined;
  let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
  const dbName = `bg_e2e_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  afterAll(async () => {
    await s?.cleanup();
    await broker?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  });

  it('delivers exactly 10,000 events, in order, across a 30 s broker outage', async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const dbUrl = new URL(PG_URL);
    dbUrl.pathname = `/${dbName}`;
    broker = await startMosquitto({});
    s = await scenario({ name: 'broker-outage', total: 10_000, parcelsPerSecond: 250, hubMqttUrl: broker.url, databaseUrl: dbUrl.toString() });
    await s.startHub();
    await s.startEdge();
    await sleep(3000);
    const before = (await s.hubStatus())?.ackedSeq ?? 0;
    expect(before).toBeGreaterThan(0);
    await broker.stop();
    await sleep(30_000);
    // Scanning went on into the journal while the broker was down.
    await broker.restart();
    await s.waitForAcked(10_000, 120_000);
    await s.verifyExactlyOnce(10_000);
  }, 240_000);
});
