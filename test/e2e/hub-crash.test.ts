import { afterAll, describe, expect, it } from 'vitest';
import { scenario, sleep, type Scenario } from './fixture.ts';

/** (b) The hub (with its embedded broker) is SIGKILLed and restarted while the edge keeps scanning. */
describe('e2e: hub SIGKILLed mid-stream', () => {
  let s: Scenario | undefined;
  afterAll(async () => s?.cleanup());

  it('delivers exactly 10,000 events, in order, through 2 hub crashes', async () => {
    s = await scenario({ name: 'hub-crash', total: 10_000, parcelsPerSecond: 1000 });
    await s.startHub();
    await s.startEdge();
    for (let i = 0; i < 2; i++) {
      await sleep(2500);
      s.hub!.kill('SIGKILL');
      expect((await s.hub!.exited).signal).toBe('SIGKILL');
      await sleep(1000); // the edge keeps scanning into its journal meanwhile
      await s.startHub();
    }
    await s.waitForAcked(10_000, 90_000);
    await s.verifyExactlyOnce(10_000);
  }, 180_000);
});
