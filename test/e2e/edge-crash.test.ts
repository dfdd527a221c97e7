import { afterAll, describe, expect, it } from 'vitest';
import { scenario, sleep, type Scenario } from './fixture.ts';

/** (a) The edge is SIGKILLed and restarted several times while parcels are being scanned. */
describe('e2e: edge SIGKILLed mid-stream', () => {
  let s: Scenario | undefined;
  afterAll(async () => s?.cleanup());

  it('delivers exactly 10,000 events, in order, through 3 edge crashes', async () => {
    s = await scenario({ name: 'edge-crash', total: 10_000, parcelsPerSecond: 1500 });
    await s.startHub();
    await s.startEdge();
    for (let i = 0; i < 3; i++) {
      await sleep(1500);
      s.edge!.kill('SIGKILL');
      const exit = await s.edge!.exited;
      expect(exit.signal).toBe('SIGKILL');
      await s.startEdge();
    }
    await s.waitForAcked(10_000, 90_000);
    await s.verifyExactlyOnce(10_000);
  }, 180_000);
});
