import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GENESIS_HASH } from '../shared/canonical.ts';
import { isBondgateError } from '../shared/errors.ts';
import { hashMatches } from '../shared/journal-chain.ts';
import { EdgeEvent, JournalEntry, type NewEvent } from '../shared/schemas/events.ts';
import { ACK_PERSIST_MS, EdgeJournal, type JournalOptions } from './journal.ts';
import { manualTimeSource } from './time-source.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bg-journal-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const scan = (k: number): NewEvent => ({ type: 'parcel.scanned', stationId: 'LINE-1', parcelKey: `P${k}`, payload: { code: `P${k}`, source: 'scanner' } });
const health = (): NewEvent => ({ type: 'device.health', stationId: 'LINE-1', deviceId: 'scale-1', payload: { status: 'up', detail: 'x'.repeat(900) } });

function open(dir: string, extra: Partial<JournalOptions> = {}, time = manualTimeSource()) {
  return new EdgeJournal({ file: join(dir, 'j.sqlite'), gatewayId: 'GW-1', time, quotaBytes: 512 * 1024 * 1024, synchronous: 'NORMAL', ...extra });
}

describe('EdgeJournal', () => {
  it('assigns contiguous seqs and chains hashes that verify', async () => {
    const j = open(tmp());
    const results = await Promise.all([1, 2, 3, 4, 5].map((k) => j.append(scan(k))));
    expect(results.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    const rows = j.readFrom(1, 10).map((r) => JSON.parse(r.json));
    expect(rows[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    for (const r of rows) {
      expect(hashMatches(r)).toBe(true);
      expect(EdgeEvent.safeParse(r).success).toBe(true);
    }
    j.close();
  });

  it('group-commits concurrent appends in one transaction', async () => {
    const j = open(tmp());
    await Promise.all(Array.from({ length: 100 }, (_, k) => j.append(scan(k))));
    expect(j.stats.appended).toBe(100);
    expect(j.stats.commits).toBe(1);
    j.close();
  });

  it('rejects an invalid payload with the field, and still commits the rest of the group', async () => {
    const j = open(tmp());
    const bad = j.append({ type: 'parcel.weighed', stationId: 'S', payload: { grossWeightKg: -1, stable: true } });
    const good = j.append(scan(1));
    await expect(bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fields: [expect.objectContaining({ field: 'payload.grossWeightKg' })] });
    await expect(good).resolves.toMatchObject({ seq: 1 });
    j.close();
  });

  it('resumes seq, hash chain, ack and HLC after reopening, even with the wall clock set back', async () => {
    const dir = tmp();
    const time = manualTimeSource(1_800_000_000_000);
    const j1 = open(dir, {}, time);
    await j1.append(scan(1));
    const last = await j1.append(scan(2));
    j1.markAcked(1);
    j1.close();
    time.setWall(1_600_000_000_000); // rebooted with a wrong clock
    const j2 = open(dir, {}, time);
    expect(j2.headSeq).toBe(2);
    expect(j2.ackedSeq).toBe(1);
    expect(j2.headHash).toBe(last.hash);
    const next = await j2.append(scan(3));
    expect(next.seq).toBe(3);
    expect(next.hlc > last.hlc).toBe(true);
    expect(JSON.parse(j2.readFrom(3, 1)[0]!.json).prevHash).toBe(last.hash);
    expect(j2.backlog()).toEqual({ count: 2, oldestWallMs: expect.any(Number) });
    j2.close();
  });

  // Issue 14 item 6: an ack per hub message was an fsync of its own. It rides with the next commit instead, or is
  // written within ACK_PERSIST_MS when none comes; pruning never passes the ack that is on disk.
  it('writes the hub\'s ack with the next commit, or within ACK_PERSIST_MS, or at close; prunes only below the ack on disk', async () => {
    const dir = tmp();
    const time = manualTimeSource();
    const j = open(dir, { retentionMs: 1000 }, time);
    for (let k = 1; k <= 5; k++) await j.append(scan(k));
    const onDisk = () => j.getMeta('acked_seq');
    j.markAcked(2);
    expect(j.ackedSeq).toBe(2);
    expect(onDisk()).toBeUndefined(); // not an fsync of its own
    await j.append(scan(6));
    expect(onDisk()).toBe('2'); // with the commit
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      j.markAcked(4);
      expect(onDisk()).toBe('2');
      vi.advanceTimersByTime(ACK_PERSIST_MS);
      expect(onDisk()).toBe('4'); // no commit came: written on its own, once
    } finally {
      vi.useRealTimers();
    }
    j.markAcked(5);
    time.advance(5000);
    expect(j.maintain(time.wallMs()).pruned).toBe(5); // the ack is written first, then 1..5 pruned (6, the newest, stays)
    expect(onDisk()).toBe('5');
    j.markAcked(6);
    j.close();
    const j2 = open(dir);
    expect(j2.ackedSeq).toBe(6);
    j2.close();
  });

  it('a payload its caller already parsed by its schema is not parsed again; every other check still applies', async () => {
    const j = open(tmp());
    // Proof that no second parse ran: a payload its schema would refuse goes in as given when marked parsed.
    const unparsed = { ...scan(1), payload: { code: 'P1', source: 'scanner', extra: 1 } } as unknown as NewEvent;
    await expect(j.append(unparsed)).resolves.toMatchObject({ seq: 1 }); // parsed here: the unknown key is stripped
    await expect(j.append(unparsed, undefined, { parsed: true })).resolves.toMatchObject({ seq: 2 });
    const [first, second] = j.readFrom(1, 2).map((r) => JSON.parse(r.json) as { payload: Record<string, unknown> });
    expect(first!.payload).toEqual({ code: 'P1', source: 'scanner' });
    expect(second!.payload).toEqual({ code: 'P1', source: 'scanner', extra: 1 });
    await expect(j.append({ ...scan(3), parcelKey: '' }, undefined, { parsed: true })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    j.close();
  });

  it('commits a meta update atomically with its event', async () => {
    const dir = tmp();
    const j = open(dir);
    await j.append(scan(1), { key: 'sim_last_parcel', value: 'P1' });
    j.close();
    const j2 = open(dir);
    expect(j2.getMeta('sim_last_parcel')).toBe('P1');
    j2.close();
  });

  it('prunes only delivered rows past retention, and never the newest row', async () => {
    const time = manualTimeSource();
    const j = open(tmp(), { retentionMs: 1000 }, time);
    for (let k = 1; k <= 10; k++) await j.append(scan(k));
    time.advance(5000);
    expect(j.maintain(time.wallMs()).pruned).toBe(0); // nothing acked yet
    j.markAcked(10);
    expect(j.maintain(time.wallMs()).pruned).toBe(9);
    expect(j.readFrom(1, 100).map((r) => r.seq)).toEqual([10]);
    expect(j.headSeq).toBe(10);
    j.close();
  });

  it('sheds unsent telemetry past its TTL to tombstones that keep the chain; customs rows are untouched', async () => {
    const time = manualTimeSource();
    const j = open(tmp(), { telemetryTtlMs: 1000 }, time);
    await j.append(scan(1));
    await j.append(health());
    await j.append(scan(2));
    time.advance(2000);
    expect(j.maintain(time.wallMs()).shed).toBe(1);
    const rows = j.readFrom(1, 10).map((r) => JournalEntry.parse(JSON.parse(r.json)));
    expect(rows.map((r) => ('shed' in r ? 'shed' : r.type))).toEqual(['parcel.scanned', 'shed', 'parcel.scanned']);
    expect(rows[2]!.prevHash).toBe(rows[1]!.hash);
    j.close();
  });

  it('past the soft limit alarms, sheds telemetry and drops new telemetry; at the hard limit refuses customs events', async () => {
    const time = manualTimeSource();
    const dir = tmp();
    // A quota a few pages above the empty database.
    const j = open(dir, { quotaBytes: 200 * 1024, softLimitRatio: 0.5 }, time);
    const alarms: string[] = [];
    j.onAlarm((a) => alarms.push(a.alarm));
    let k = 0;
    let refused: unknown;
    const customsCommitted: number[] = [];
    while (k < 5000) {
      k += 1;
      try {
        if (k % 2 === 0) await j.append(health()).catch((e) => { if (!isBondgateError(e, 'EDGE_JOURNAL_FULL')) throw e; });
        else customsCommitted.push((await j.append(scan(k))).seq);
      } catch (e) {
        refused = e;
        break;
      }
    }
    expect(alarms).toContain('disk_soft_limit');
    expect(alarms).toContain('disk_hard_limit');
    expect(isBondgateError(refused, 'EDGE_JOURNAL_FULL')).toBe(true);
    expect(j.stats.telemetryDropped).toBeGreaterThan(0);
    expect(j.stats.telemetryShed).toBeGreaterThan(0);
    // Every customs event that was accepted is still there, intact.
    const stored = new Map(j.readFrom(1, 100_000).map((r) => [r.seq, JSON.parse(r.json)]));
    for (const seq of customsCommitted) {
      expect(stored.get(seq)?.type).toBe('parcel.scanned');
      expect(hashMatches(stored.get(seq))).toBe(true);
    }
    // Once the hub acks, delivered rows can go and the station works again.
    j.markAcked(j.headSeq);
    j.maintain(time.wallMs(), true);
    const before = j.headSeq;
    await expect(j.append(scan(999_999))).resolves.toMatchObject({ seq: before + 1 });
    expect(alarms).toContain('disk_recovered');
    j.close();
  });
});
