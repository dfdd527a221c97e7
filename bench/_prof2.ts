import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeJournal } from '../edge/journal.ts';
import { systemTimeSource } from '../edge/time-source.ts';
const time = systemTimeSource('assume-synced');
const j = new EdgeJournal({ file: join(mkdtempSync(join(tmpdir(), 'p-')), 'j.sqlite'), gatewayId: 'B', time, quotaBytes: 8e9 });
const t0 = performance.now();
for (let r = 0; r < 400; r++) {
  await Promise.all(Array.from({ length: 500 }, (_, i) => j.append({ type: 'parcel.scanned', stationId: 'L', parcelKey: `K${r}-${i}`, payload: { code: `K${r}-${i}`, source: 'scanner' } })));
}
console.log('rate', (200000 / ((performance.now() - t0) / 1000)).toFixed(0));
time.stop(); j.close();
