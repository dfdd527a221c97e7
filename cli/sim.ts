import { parseArgs } from 'node:util';
import { LockSimulator } from '../drivers/modbus/lock-simulator.ts';
import { LlrpReaderSimulator } from '../drivers/rfid/llrp-simulator.ts';
import { renderFrame, type SimProtocol } from '../drivers/scale/simulator.ts';
import { SerialConfig, serialTransport } from '../drivers/transport/serial.ts';
import type { Link } from '../drivers/transport/transport.ts';
import { s10Number } from '../drivers/barcode/parse.ts';
import { startPtyPair } from '../drivers/transport/pty.ts';

/**
 * `bondgate sim <device>`: device simulators over their real transports, for installers and demos without hardware.
 * Serial devices write to a port you name (`--path`), or to a new pseudo-terminal pair (`--pty`, needs socat) whose
 * other end is printed for the driver. `--noise` makes them misbehave: garbage bytes, jitter, half frames.
 */
const USAGE = `usage:
  bondgate sim scale   (--path PORT | --pty) [--protocol ad-ascii|toledo-continuous|xk3190|mt-sics] [--noise]
  bondgate sim scanner (--path PORT | --pty) [--rate PER_SECOND] [--noise]
  bondgate sim lock    [--port 5020]
  bondgate sim rfid    [--port 5084] [--tags EPC,EPC…]   an LLRP reader reporting the tags in its field`;

async function serialLink(path: string | undefined, pty: boolean): Promise<{ link: Link; stop(): Promise<void> }> {
  if (pty) {
    const pair = await startPtyPair();
    console.log(`simulated device on a pty: point the driver at ${pair.host}`);
    const link = await serialTransport(SerialConfig.parse({ path: pair.device }))();
    return { link, stop: async () => { await link.close(); await pair.close(); } };
  }
  if (!path) throw new Error(USAGE);
  const link = await serialTransport(SerialConfig.parse({ path }))();
  return { link, stop: () => link.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSim(argv: string[]): Promise<{ stop(): Promise<void> }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { path: { type: 'string' }, pty: { type: 'boolean' }, protocol: { type: 'string', default: 'ad-ascii' }, noise: { type: 'boolean' }, rate: { type: 'string', default: '1' }, port: { type: 'string', default: '5020' }, tags: { type: 'string' } },
  });
  const [device] = positionals;
  let running = true;
  if (device === 'lock') {
    const sim = new LockSimulator({ openCoil: 0, openedInput: 0, forcedInput: 1 });
    await sim.start(Number(values.port));
    console.log(`barrier controller on Modbus TCP 127.0.0.1:${values.port} (coil 0 opens; input 0 = open, input 1 = forced open)`);
    return { stop: () => sim.stop() };
  }
  if (device === 'rfid') {
    const sim = new LlrpReaderSimulator(200, 5000);
    const tags = (values.tags ?? '3074257BF7194E4000001A85,3174257BF4499602D2000000').split(',').map((epcHex, i) => ({ epcHex: epcHex.trim().toUpperCase(), antennaId: (i % 2) + 1, peakRssiDbm: -55 - i }));
    sim.setTags(tags);
    const port = await sim.start(values.port === '5020' ? 5084 : Number(values.port));
    console.log(`LLRP reader on 127.0.0.1:${port} with ${tags.length} tag(s) in its field`);
    return { stop: () => sim.stop() };
  }
  if (device !== 'scale' && device !== 'scanner') throw new Error(USAGE);
  const { link, stop } = await serialLink(values.path, !!values.pty);
  const noise = async () => {
    if (values.noise && Math.random() < 0.1) await link.write(Buffer.from([0xff, 0x13, 0x00, 0x0d, 0x0a]));
  };
  const loop = async () => {
    if (device === 'scale') {
      const protocol = values.protocol as SimProtocol;
      // A parcel arrives, the platform settles, the parcel leaves: the scenario a line scale sees all day.
      while (running) {
        const kg = Math.round((0.2 + Math.random() * 10) * 1000) / 1000;
        for (const f of [0.3, 0.8, 1.02, 0.99]) {
          await link.write(renderFrame(protocol, kg * f, false));
          await sleep(100);
        }
        for (let i = 0; i < 8 && running; i++) {
          const jitter = values.noise ? (Math.random() - 0.5) * 0.004 : 0;
          await link.write(renderFrame(protocol, kg + jitter, true));
          await noise();
          await sleep(100);
        }
        await link.write(renderFrame(protocol, 0, true));
        await sleep(1000);
      }
    } else {
      let n = 1;
      const every = 1000 / Math.max(0.1, Number(values.rate));
      while (running) {
        await link.write(Buffer.from(`${s10Number(n++)}\r`, 'latin1'));
        await noise();
        await sleep(every);
      }
    }
  };
  const done = loop().catch((e: Error) => console.error(`simulator stopped: ${e.message}`));
  return {
    stop: async () => {
      running = false;
      await done;
      await stop();
    },
  };
}
