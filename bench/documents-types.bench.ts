import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { corpusMessages } from '../hub/customs/ceb/corpus.ts';
import { cebToDocuments } from '../hub/customs/ceb/to-documents.ts';
import { parseXml } from '../hub/customs/ceb/xml.ts';
import { openCaseRepo } from '../hub/repos/cases.ts';
import { CustomsService } from '../hub/services/customs.ts';
import { StationFeedService } from '../hub/services/station-feed.ts';
import { loadOrCreateSigningKey } from '../hub/signing-key.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import { fmt } from './stats.ts';

/**
 * CEB intake per message type, each beside a reference measured in the same run on the same bytes: the hardened XML
 * parser alone (`parseXml`, the parser the intake itself uses), so "no worse than before" is judged by the ratio, not
 * by messages/s on a machine whose load moves. For each type, the corpus message of both editions:
 * - `raw parse`: parseXml of the bytes (decode + well-formedness + limits), the reference;
 * - `intake`: cebToDocuments (parse, edition, XSD rules, map, document schema, duplicate check) — what a worker does
 *   before the signature check;
 * - `ingest`: CustomsService.ingest of those documents with the original (store in one transaction, warnings, match,
 *   risk, decide) on a fresh SQLite store (synchronous NORMAL: the disk's fsync is not what is compared).
 * The three are interleaved call by call (each call timed) for BENCH_TYPE_MS per type, after a warm-up. Only this
 * module's imports are used, so the same file measures another checkout's code (bench/RESULTS.md).
 */
const TYPE_MS = Number(process.env.BENCH_TYPE_MS ?? 1500);
const WARMUP = 20;

export async function benchDocumentTypes(): Promise<void> {
  console.log('\n## CEB intake per message type, beside a raw parse of the same bytes (messages/s; calls interleaved; both editions per type)');
  console.log(`${'type'.padEnd(8)} ${'raw parse'.padStart(10)} ${'intake'.padStart(10)} ${'ratio'.padStart(7)} ${'ingest'.padStart(10)} ${'ratio'.padStart(7)}`);
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-types-'));
  const storage = openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' });
  try {
    await storage.migrate();
    const log = pino({ level: 'silent' });
    const cases = openCaseRepo(storage.sql);
    await cases.migrate();
    const key = loadOrCreateSigningKey(dir);
    const feed = new StationFeedService({ storage, log, publish: () => undefined, gateways: async () => [], signing: { privateKeyPem: key.privateKeyPem, keyId: key.keyId } });
    const customs = new CustomsService({ storage, cases, feed, log });
    await customs.migrate();

    const byType = new Map<string, Uint8Array[]>();
    for (const m of corpusMessages()) byType.set(m.type, [...(byType.get(m.type) ?? []), new Uint8Array(Buffer.from(m.xml, 'utf8'))]);
    const ratios: number[] = [];
    for (const [type, messages] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
      const mapped = messages.map((m) => {
        const r = cebToDocuments(m);
        if (!r.ok) return undefined;
        return { documents: r.documents, original: { xml: m, sha256: createHash('sha256').update(m).digest('hex') } };
      });
      if (mapped.some((m) => m === undefined)) {
        console.log(`${type.padEnd(8)} refused by this intake: not measured`);
        continue;
      }
      // Interleaved per message: raw parse, intake, ingest of the same bytes one after another, each call timed, so a
      // load spike lands on all three; the first WARMUP rounds (JIT) are not counted.
      const spent = { raw: 0, intake: 0, ingest: 0 };
      let n = 0;
      const until = performance.now() + TYPE_MS;
      for (let i = 0; i < WARMUP || n < 5 || performance.now() < until; i++) {
        const j = i % messages.length;
        // Alternate which of parse and intake goes first, so the garbage one leaves is collected in the other's time
        // as often as in its own.
        const raw = () => parseXml(messages[j]!);
        const core = () => cebToDocuments(messages[j]!);
        const t0 = performance.now();
        (i % 2 ? raw : core)();
        const t1 = performance.now();
        (i % 2 ? core : raw)();
        const t2 = performance.now();
        await customs.ingest(mapped[j]!.documents, 'bench', mapped[j]!.original);
        const t3 = performance.now();
        if (i < WARMUP) continue;
        spent.raw += i % 2 ? t1 - t0 : t2 - t1;
        spent.intake += i % 2 ? t2 - t1 : t1 - t0;
        spent.ingest += t3 - t2;
        n++;
      }
      const [r, k, g] = [n / (spent.raw / 1000), n / (spent.intake / 1000), n / (spent.ingest / 1000)];
      ratios.push(k / r);
      console.log(`${type.padEnd(8)} ${fmt(r).padStart(10)} ${fmt(k).padStart(10)} ${fmt(k / r, 3).padStart(7)} ${fmt(g).padStart(10)} ${fmt(g / r, 4).padStart(7)}`);
    }
    const geo = Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length);
    console.log(`geometric mean of intake / raw parse over ${ratios.length} types: ${fmt(geo, 3)}`);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
