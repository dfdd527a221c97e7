import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatch, PROTOCOL_VERSION } from '../../shared/sync-protocol.ts';
import { JournalBuilder, scan } from '../storage/fixtures.ts';
import { DecodePool } from './decode-pool.ts';
import { prepareEventsMessage, type PreparedBatch } from './prepare-batch.ts';

const pool = new DecodePool(2, pino({ level: 'silent' }));
afterAll(() => pool.close());

const message = (gatewayId: string, rawJson: string[]) =>
  encodeBatch({ v: PROTOCOL_VERSION, gatewayId: gatewayId as never, backlog: { count: 0, oldestWallMs: null }, sentAtMs: 1 }, rawJson);

describe('DecodePool', () => {
  it('prepares exactly what the main thread would, and keeps each gateway\'s order', async () => {
    const gws = ['GW-P1', 'GW-P2', 'GW-P3'];
    const journals = new Map(gws.map((g) => [g, new JournalBuilder(g)]));
    const messages: { gw: string; payload: Buffer }[] = [];
    for (let i = 0; i < 30; i++) {
      const gw = gws[i % 3]!;
      const entries = journals.get(gw)!.many(50, (k) => scan(`${gw}-${i}-${k}`));
      messages.push({ gw, payload: message(gw, entries.map((e) => e.rawJson)) });
    }
    const done: { gw: string; first: number }[] = [];
    const results = await Promise.all(
      messages.map(({ gw, payload }) =>
        pool.prepare(gw, payload).then((r) => {
          done.push({ gw, first: (r as PreparedBatch).entries[0]!.seq });
          return r;
        }),
      ),
    );
    results.forEach((r, i) => expect(r).toEqual(prepareEventsMessage(messages[i]!.gw, messages[i]!.payload)));
    for (const gw of gws) {
      const firsts = done.filter((d) => d.gw === gw).map((d) => d.first);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }
  });

  it('passes rejections through', async () => {
    expect(await pool.prepare('GW-P1', Buffer.from([0xff]))).toEqual({ reason: 'decode_failed', detail: expect.stringContaining('unknown payload encoding') });
    expect(await pool.prepare('GW-P1', message('GW-P2', ['{"seq":1}']))).toMatchObject({ reason: 'gateway_mismatch' });
  });
});
