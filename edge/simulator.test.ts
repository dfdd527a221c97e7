import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseS10 } from '../shared/identifiers/s10.ts';
import { createLogger } from '../shared/log.ts';
import { EdgeJournal } from './journal.ts';
import { LineSimulator, s10 } from './simulator.ts';
import { manualTimeSource } from './time-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'bg-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('test', 'silent');

describe('line simulator', () => {
  it('numbers parcels with valid UPU S10 check digits', () => {
    for (let n = 1; n <= 500; n++) expect(parseS10(s10(n)).ok).toBe(true);
  });

  it('continues after a restart from the journal, never repeating a parcel', async () => {
    const open = () => new EdgeJournal({ file: join(dir, 'j.sqlite'), gatewayId: 'GW-SIM', time: manualTimeSource(), quotaBytes: 1e8, synchronous: 'NORMAL' });
    const keys: string[] = [];
    for (const total of [7, 15]) {
      const journal = open();
      const sim = new LineSimulator({ journal, log, mode: 'line', stationId: 'SIM', parcelsPerSecond: 1000, totalParcels: total, random: () => 0.5 });
      sim.start();
      await sim.done;
      journal.close();
    }
    const journal = open();
    for (const r of journal.readFrom(1, 1000)) {
      const e = JSON.parse(r.json) as { type: string; parcelKey?: string };
      if (e.type === 'parcel.scanned') keys.push(e.parcelKey!);
    }
    journal.close();
    expect(keys).toEqual(Array.from({ length: 15 }, (_, i) => s10(i + 1)));
  });
});
