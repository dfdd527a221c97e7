import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { fixtureXml } from '../hub/customs/ceb/fixtures.ts';
import { cebToDocuments } from '../hub/customs/ceb/to-documents.ts';
import { generateDocumentSets, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import { openCaseRepo } from '../hub/repos/cases.ts';
import { CustomsService } from '../hub/services/customs.ts';
import { StationFeedService } from '../hub/services/station-feed.ts';
import { loadOrCreateSigningKey } from '../hub/signing-key.ts';
import { openPostgresStorage } from '../hub/storage/postgres.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import type { Storage } from '../hub/storage/storage.ts';
import { fmt, line } from './stats.ts';

/**
 * Customs documents in, matched, risk-assessed and decided, with a million parcels already in the store: the four
 * documents of an order and customs' release receipt per call, as an e-port pushes them — as JSON (normalised
 * documents) and as CEB XML (parse by namespace, XSD rules, map, keep the original). Calls the service the route
 * calls (no HTTP). Reference, same run, same disk: raw better-sqlite3 inserts of the same document bodies.
 *
 * The million earlier parcels are seeded in SQL (4 documents and a case each, compact bodies: never read here) so
 * every index the path touches — documents by key and by order, receipts by subject, cases, the buyer's year — is at
 * its million-parcel size.
 */
const SEEDED = Number(process.env.BENCH_SEEDED ?? 1_000_000);
const JSON_PARCELS = 3000;
const XML_PARCELS = 1000;
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const docsOf = (p: GeneratedParcel) => [
  ...Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) })),
  { kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo! }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '放行' },
];

/** The fixture set (311/411/511/621 + 622), made unique per parcel by its keys and buyer. */
function xmlSet(i: number): string[] {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const swap = (xml: string) =>
    xml
      .replaceAll('GZKJ20240728000123', `GZKJ${pad(i, 14)}`)
      .replaceAll('SF1429876543210', `SF${pad(i, 13)}`)
      .replaceAll('2024072822001468301234567890', pad(i, 28))
      .replaceAll('NSHT2024072800123', `NSHT${pad(i, 13)}`)
      .replaceAll('11010519491231002X', `1101051949${pad(i % 10_000_000, 7)}X`);
  // The fixture list names goods by their standard names; this zone's matching wants the order's item names.
  const list = (xml: string) => xml.replace('<ceb:gname>婴幼儿配方奶粉</ceb:gname>', '<ceb:gname>a2 Platinum 白金版婴幼儿配方奶粉3段 900g</ceb:gname>').replace('<ceb:gname>婴儿纸尿裤</ceb:gname>', '<ceb:gname>花王妙而舒纸尿裤L号54片</ceb:gname>');
  return (['CEB311', 'CEB411', 'CEB511', 'CEB621', 'CEB622'] as const).map((t) => swap(t === 'CEB621' ? list(fixtureXml(t)) : fixtureXml(t)));
}

async function seed(storage: Storage, n: number): Promise<number> {
  const t0 = performance.now();
  const cases = openCaseRepo(storage.sql);
  await cases.migrate();
  if (storage.kind === 'sqlite') {
    // One statement per table over a recursive series: the fastest way SQLite has to write a million rows.
    const series = `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1})`;
    await storage.sql.tx(function* () {
      for (const kind of ['order', 'payment', 'waybill', 'inventory']) {
        yield { mode: 'run' as const, sql: `INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original_sha256, received_ms) ${series} SELECT '${kind}', 'SEED:${kind}:' || i, 'SEED-O-' || i, NULL, '{"seed":true}', NULL, 1 FROM s`, params: [] };
      }
      yield {
        mode: 'run' as const,
        sql: `INSERT INTO customs_cases (parcel_key, order_no, direction, trade_mode, status, decided_by, engine_decision, risk_level, rules_version, reasons, match_complete, match_consistent, customs_status, officer_hold, inspection_result, buyer_key, buyer_id_masked, value_cny, year, ebc_code, declared_weight_kg, created_ms, updated_ms, version)
              ${series} SELECT 'SEEDP' || i, 'SEED-O-' || i, 'import', '1210', CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'released' END, 'auto', 'released', 'low', 'seed', '[]', 1, 1, 800, 0, NULL, 'seedbuyer' || (i % 200000), NULL, 300.5, 2026, 'EBC', 1.2, i, i, 1 FROM s`,
        params: [],
      };
    });
  } else {
    await storage.sql.tx(function* () {
      for (const kind of ['order', 'payment', 'waybill', 'inventory']) {
        yield { mode: 'run' as const, sql: `INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original_sha256, received_ms) SELECT '${kind}', 'SEED:${kind}:' || i, 'SEED-O-' || i, NULL, '{"seed":true}', NULL, 1 FROM generate_series(0, ${n - 1}) AS i`, params: [] };
      }
      yield {
        mode: 'run' as const,
        sql: `INSERT INTO customs_cases (parcel_key, order_no, direction, trade_mode, status, decided_by, engine_decision, risk_level, rules_version, reasons, match_complete, match_consistent, customs_status, officer_hold, inspection_result, buyer_key, buyer_id_masked, value_cny, year, ebc_code, declared_weight_kg, created_ms, updated_ms, version)
              SELECT 'SEEDP' || i, 'SEED-O-' || i, 'import', '1210', CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'released' END, 'auto', 'released', 'low', 'seed', '[]', 1, 1, 800, 0, NULL, 'seedbuyer' || (i % 200000), NULL, 300.5, 2026, 'EBC', 1.2, i, i, 1 FROM generate_series(0, ${n - 1}) AS i`,
        params: [],
      };
    });
    await storage.sql.all('ANALYZE');
  }
  return (performance.now() - t0) / 1000;
}

async function run(storage: Storage, label: string, dir: string): Promise<{ json: number; xml: number }> {
  const log = pino({ level: 'silent' });
  const cases = openCaseRepo(storage.sql);
  const key = loadOrCreateSigningKey(dir);
  const feed = new StationFeedService({ storage, log, publish: () => undefined, gateways: async () => [], signing: { privateKeyPem: key.privateKeyPem, keyId: key.keyId } });
  const customs = new CustomsService({ storage, cases, feed, log });
  await customs.migrate();
  const seconds = await seed(storage, SEEDED);
  line(`${label}: seeded ${fmt(SEEDED)} parcels (4 documents + a case each)`, `${fmt(seconds, 1)} s`);

  const sets = generateDocumentSets({ seed: 11 }, JSON_PARCELS);
  let t0 = performance.now();
  let decided = 0;
  for (const p of sets) decided += (await customs.ingest(docsOf(p), 'bench')).length;
  const jsonRate = JSON_PARCELS / ((performance.now() - t0) / 1000);
  line(`${label}: JSON, 5 documents per call`, `${fmt(jsonRate)} orders/s`, `${fmt(jsonRate * 5)} documents/s, ${fmt(decided)} decided`);

  const xml = Array.from({ length: XML_PARCELS }, (_, i) => xmlSet(i));
  t0 = performance.now();
  let released = 0;
  for (const messages of xml) {
    for (const m of messages) {
      const mapped = cebToDocuments(m);
      if (!mapped.ok) throw new Error(`bench XML not valid: ${JSON.stringify(mapped.issues.slice(0, 3))}`);
      const xml = Buffer.from(m, 'utf8');
      const out = await customs.ingest(mapped.documents, 'bench', { xml, sha256: createHash('sha256').update(xml).digest('hex') });
      released += out.filter((o) => o.release.decision === 'released').length;
    }
  }
  const xmlRate = XML_PARCELS / ((performance.now() - t0) / 1000);
  line(`${label}: CEB XML, one message per call (4 + receipt)`, `${fmt(xmlRate)} orders/s`, `${fmt(xmlRate * 5)} messages/s, ${fmt(released)} released`);
  return { json: jsonRate, xml: xmlRate };
}

export async function benchDocuments(): Promise<void> {
  // Per message type first (bench/documents-types.bench.ts): rates beside a raw parse of the same bytes, same run.
  await (await import('./documents-types.bench.ts')).benchDocumentTypes();
  if (process.env.BENCH_DOCUMENTS_TYPES_ONLY === '1') return;
  console.log(`\n## Customs documents ingested, matched and decided (${fmt(SEEDED)} parcels already in the store)`);
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-docs-'));
  try {
    // Reference: the same JSON bodies as raw rows, one fsync'd transaction per order's 5 documents.
    const sets = generateDocumentSets({ seed: 11 }, JSON_PARCELS);
    const rdb = new Database(join(dir, 'raw.sqlite'));
    rdb.pragma('journal_mode = WAL');
    rdb.pragma('synchronous = FULL');
    rdb.exec('CREATE TABLE d (kind TEXT, key TEXT, order_no TEXT, body TEXT, PRIMARY KEY (kind, key)); CREATE INDEX d_order ON d (order_no)');
    const ins = rdb.prepare('INSERT OR REPLACE INTO d (kind, key, order_no, body) VALUES (?, ?, ?, ?)');
    const tx = rdb.transaction((docs: { kind: string }[], orderNo: string) => docs.forEach((d, i) => ins.run(d.kind, `${orderNo}:${i}`, orderNo, JSON.stringify(d))));
    const t0 = performance.now();
    for (const p of sets) tx(docsOf(p), p.set.order.orderNo);
    const raw = JSON_PARCELS / ((performance.now() - t0) / 1000);
    rdb.close();
    line('raw better-sqlite3: the same 5 bodies per fsync\'d commit (reference)', `${fmt(raw)} orders/s`);

    const sqlite = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
    await sqlite.migrate();
    const s = await run(sqlite, 'SQLite', dir);
    line('SQLite JSON path vs raw inserts', `${fmt(s.json / raw, 3)}×`);
    await sqlite.close();

    const schema = `bench_docs_${process.pid}`;
    let pgStore: Storage | undefined;
    try {
      pgStore = await openPostgresStorage({ url: PG_URL, schema });
      await pgStore.migrate();
    } catch (e) {
      console.log(`PostgreSQL not reachable (${(e as Error).message}): skipped`);
    }
    if (pgStore) {
      await run(pgStore, 'PostgreSQL', dir);
      await pgStore.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
