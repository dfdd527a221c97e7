import { cpus, totalmem } from 'node:os';
import { benchEdgeAppend } from './edge-append.bench.ts';

/**
 * `npm run bench [-- NAME…]`: every benchmark prints its figure beside a reference measured in the same run,
 * so the ratio means something on a noisy machine. Record results in bench/RESULTS.md.
 */
const all: Record<string, () => Promise<unknown>> = {
  'edge-append': benchEdgeAppend,
  drain: async () => (await import('./drain.bench.ts')).benchDrain(),
  'hub-ingest': async () => (await import('./hub-ingest.bench.ts')).benchHubIngest(),
  codecs: async () => (await import('./codecs.bench.ts')).benchCodecs(),
  'station-latency': async () => (await import('./station-latency.bench.ts')).benchStationLatency(),
  documents: async () => (await import('./documents.bench.ts')).benchDocuments(),
  'barcode-decode': async () => (await import('./barcode-decode.bench.ts')).benchBarcodeDecode(),
  trace: async () => (await import('./trace.bench.ts')).benchTrace(),
  dashboard: async () => (await import('./dashboard.bench.ts')).benchDashboard(),
  pg: async () => (await import('./pg.bench.ts')).benchPg(),
  'scan-path': async () => (await import('./scan-path.bench.ts')).benchScanPath(),
  signatures: async () => (await import('./signatures.bench.ts')).benchSignatures(),
  'eport-sender': async () => (await import('./eport-sender.bench.ts')).benchEportSender(),
};

/** Other names a benchmark answers to (not run twice by a bare `npm run bench`). */
const aliases: Record<string, string> = { barcode: 'barcode-decode' };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-')).map((n) => aliases[n] ?? n);
const names = wanted.length > 0 ? wanted : Object.keys(all);
console.log(`# Bondgate benchmarks — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
for (const name of names) {
  const fn = all[name];
  if (!fn) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  await fn();
}
process.exit(0);
