import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { mosquittoBinary, requireService } from '../helpers/services.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { scenario, sleep, type Scenario } from './fixture.ts';

/** (d) The edge's link to the broker is cut by a TCP proxy twice (connections dropped, new ones refused). */
const run = requireService('Mosquitto', !!(await mosquittoBinary()));

describe.skipIf(!run)('e2e: edge link cut by a TCP proxy', () => {
  let s: Scenario | undefined;
  let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;
  afterAll(async () => {
    await s?.cleanup();
    await proxy?.close();
    await broker?.stop();
  });

  it('delivers exactly 10,000 events, in order, through two link cuts', async () => {
    broker = await startMosquitto({});
    proxy = await startTcpProxy({ host: '127.0.0.1', port: broker.port });
    s = await scenario({ name: 'link-cut', total: 10_000, parcelsPerSecond: 600, hubMqttUrl: broker.url, edgeMqttUrl: `mqtt://127.0.0.1:${proxy.port}` });
    await s.startHub();
    await s.startEdge();
    for (let i = 0; i < 2; i++) {
      await sleep(2500);
      proxy.cut();
      await sleep(2000); // what was already past the proxy settles
      const acked = (await s.hubStatus())?.ackedSeq ?? 0;
      await sleep(6000);
      // The cut is real: nothing more reaches the hub while it lasts.
      expect((await s.hubStatus())?.ackedSeq).toBe(acked);
      proxy.restore();
    }
    await s.waitForAcked(10_000, 90_000);
    await s.verifyExactlyOnce(10_000);
  }, 180_000);
});
