import { freshPostgresDatabase } from './helpers/stores.ts';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { fixtureBody, fixtureXml, type FixtureNode } from '../hub/customs/ceb/fixtures.ts';
import { HubConfig } from '../hub/config.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { parseDecimal, sum } from '../shared/decimal.ts';
import { createLogger } from '../shared/log.ts';
import { cebDecimalText } from './helpers/decimal-arbitraries.ts';
import { freePort } from './helpers/ports.ts';
import { postgresAvailable, requireService } from './helpers/services.ts';

/**
 * Issue 15 item 4, the property: any decimal(19,5) customs may write — every width up to 14 + 5 digits, padding zeros,
 * a `+` — goes in as CEB XML over HTTP, is parsed, stored (SQLite TEXT / PostgreSQL NUMERIC for the case's value, the
 * document body as JSON) and comes back from the API as the same decimal, digit for digit; the case's value is the
 * exact sum. Run against a SQLite hub and, when PostgreSQL is there (REQUIRE_SERVICES=1 makes it required), a
 * PostgreSQL one.
 */
const log = createLogger('test', 'silent');
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const pgRun = requireService('PostgreSQL', await postgresAvailable(PG_URL));
const PASSWORD = 'harbour-lantern-7391';

const block = (v: FixtureNode[string] | undefined): FixtureNode => {
  if (v === undefined || typeof v === 'string' || Array.isArray(v)) throw new Error('not a block');
  return v;
};
const blocks = (v: FixtureNode[string] | undefined): FixtureNode[] => {
  if (!Array.isArray(v)) throw new Error('not a repeated block');
  return v;
};

const lineValues = fc.record({ qty: cebDecimalText({ positive: true }), qty1: cebDecimalText({ positive: true }), price: cebDecimalText(), totalPrice: cebDecimalText() });
const listValues = fc.record({
  freight: cebDecimalText(),
  insuredFee: cebDecimalText(),
  grossWeight: cebDecimalText({ positive: true }),
  netWeight: cebDecimalText({ positive: true }),
  lines: fc.tuple(lineValues, lineValues),
});

function suite(title: string, hubOptions: () => Promise<{ databaseUrl?: string; cleanup?: () => Promise<void> }>) {
  describe(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-decimal-'));
    let hub: RunningHub;
    let token: string;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const extra = await hubOptions();
      cleanup = extra.cleanup;
      hub = await startHub(
        parseConfig(HubConfig, {
          dataDir: join(dir, 'hub'),
          ...(extra.databaseUrl ? { databaseUrl: extra.databaseUrl } : {}),
          http: { host: '127.0.0.1', port: 0 },
          mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } },
          auth: { adminPassword: 'decimal-admin-pass-9132' },
        }, 'test'),
        log,
      );
      await hub.storage.createUser({ username: 'officer-d', passwordHash: await hashPassword(PASSWORD), role: 'officer', displayName: 'Officer', createdMs: Date.now() });
      const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer-d', password: PASSWORD }) });
      token = ((await res.json()) as { token: string }).token;
    }, 60_000);
    afterAll(async () => {
      await hub?.stop();
      await cleanup?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('any decimal(19,5) round-trips exactly through parse → store → API, and the case value is the exact sum', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(listValues, async (v) => {
          run++;
          const body = fixtureBody('CEB621');
          const inv = blocks(body.Inventory)[0]!;
          const head = block(inv.InventoryHead);
          const parcelKey = `DEC${process.pid}N${run}`;
          Object.assign(head, { copNo: `DC${run}`, orderNo: `DEC-ORDER-${run}`, logisticsNo: parcelKey, freight: v.freight, insuredFee: v.insuredFee, grossWeight: v.grossWeight, netWeight: v.netWeight });
          blocks(inv.InventoryList).forEach((line, i) => Object.assign(line, v.lines[i]));
          const posted = await fetch(`${hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${token}` }, body: fixtureXml('CEB621', { body }) });
          expect(posted.status, await posted.clone().text()).toBe(200);

          const res = await fetch(`${hub.httpUrl}/api/cases/${parcelKey}`, { headers: { authorization: `Bearer ${token}` } });
          expect(res.status).toBe(200);
          const detail = (await res.json()) as { case: { valueCny: string }; documents: { kind: string; body: Record<string, unknown> & { lines: Record<string, unknown>[] } }[] };
          const list = detail.documents.find((d) => d.kind === 'inventory')!.body;
          for (const f of ['freight', 'insuredFee', 'grossWeight', 'netWeight'] as const) expect(list[f], f).toBe(parseDecimal(v[f]));
          v.lines.forEach((l, i) => {
            for (const f of ['qty', 'qty1', 'price', 'totalPrice'] as const) expect(list.lines[i]![f], `lines.${i}.${f}`).toBe(parseDecimal(l[f]));
          });
          expect(detail.case.valueCny).toBe(sum([...v.lines.map((l) => l.totalPrice), v.freight, v.insuredFee].map((d) => parseDecimal(d)!)));
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  });
}

suite('exact decimals end to end (SQLite hub)', async () => ({}));

describe.skipIf(!pgRun)('PostgreSQL', () => {
  suite('exact decimals end to end (PostgreSQL hub)', () => freshPostgresDatabase('bg_dec', PG_URL));
});
