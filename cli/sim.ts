import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConveyorPlcSimulator } from '../drivers/modbus/conveyor-simulator.ts';
import { LockSimulator } from '../drivers/modbus/lock-simulator.ts';
import { XrayLineSimulator } from '../drivers/opcua/line-simulator.ts';
import { SealSimulator } from '../drivers/seal/simulator.ts';
import { startLineRig } from '../drivers/sim/line-rig.ts';
import { Scenario } from '../drivers/sim/scenario.ts';
import { loadConfigFile } from '../shared/config-file.ts';
import { LlrpReaderSimulator } from '../drivers/rfid/llrp-simulator.ts';
import { renderFrame, type SimProtocol } from '../drivers/scale/simulator.ts';
import { SerialConfig, serialTransport } from '../drivers/transport/serial.ts';
import type { Link } from '../drivers/transport/transport.ts';
import { s10Number } from '../shared/identifiers/s10.ts';
import { startPtyPair } from '../drivers/transport/pty.ts';

/**
 * `bondgate sim <device>`: device simulators over their real transports, for installers and demos without hardware.
 * Serial devices write to a port you name (`--path`), or to a new pseudo-terminal pair (`--pty`, needs socat) whose
 * other end is printed for the driver. `--noise` makes them misbehave: garbage bytes, jitter, half frames.
 */
const USAGE = `usage:
  bondgate sim scale   (--path PORT | --pty) [--protocol ad-ascii|toledo-continuous|xk3190|mt-sics] [--noise]
  bondgate sim scanner (--path PORT | --pty) [--rate PER_SECOND] [--noise]
  bondgate sim lock      [--port 5020]                    a barrier controller on Modbus TCP
  bondgate sim conveyor  [--port 5020] [--rate PER_SECOND] a conveyor PLC on Modbus TCP (parcels pass while it runs)
  bondgate sim xray-line [--port 4840] [--rate PER_SECOND] an X-ray inspection line on OPC UA
  bondgate sim line      [--scenario FILE] [--port 4840] [--devices-out FILE]
                         scanner + scale on ptys, X-ray line, conveyor and barrier, playing a parcel scenario
  bondgate sim rfid      [--port 5084] [--tags EPC,EPC…]   an LLRP reader reporting the tags in its field
  bondgate sim camera    [--port 8081]                    an IP camera's HTTP snapshot, a new parcel label every few seconds
  bondgate sim seal      --broker URL [--serial ES-1] [--outside]   an e-seal on a trip (opened outside the fence with --outside)
  bondgate sim eport-card [--port 61232] [--refuse-pin] [--slow MS] [--away-every S]
                         an e-port card client (SM2 test card) on its WebSocket (bondgate sim eport-card --help)
  bondgate sim eport     --outbox DIR --inbox DIR [rules…]   the single-window client: OutBox → InBox answers (bondgate sim eport --help)`;

export const DEFAULT_SCENARIO = resolve(import.meta.dirname, '../drivers/sim/scenarios/inspection-line.yaml');

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
  // The e-port simulators take options of their own.
  if (argv[0] === 'eport-card') return (await import('./sim-eport-card.ts')).runEportCardSim(argv.slice(1));
  // The single-window client (issue 18) has options of its own.
  if (argv[0] === 'eport') return (await import('./sim-eport.ts')).runEportSimCli(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      path: { type: 'string' },
      pty: { type: 'boolean' },
      protocol: { type: 'string', default: 'ad-ascii' },
      noise: { type: 'boolean' },
      rate: { type: 'string', default: '1' },
      port: { type: 'string' },
      tags: { type: 'string' },
      scenario: { type: 'string' },
      'devices-out': { type: 'string' },
      broker: { type: 'string' },
      serial: { type: 'string', default: 'ES-000001' },
      outside: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return { stop: async () => undefined };
  }
  const [device] = positionals;
  let running = true;
  const port = (fallback: number) => (values.port !== undefined ? Number(values.port) : fallback);
  const every = 1000 / Math.max(0.05, Number(values.rate));
  if (device === 'line') {
    const scenario = loadConfigFile(Scenario, values.scenario ?? DEFAULT_SCENARIO);
    const rig = await startLineRig({ pkiDir: mkdtempSync(join(tmpdir(), 'bondgate-sim-pki-')), opcuaPort: port(4840), note: (l) => console.log(l) });
    console.log(`simulated inspection line "${scenario.name}": ${rig.devices.map((d) => d.id).join(', ')}`);
    for (const d of rig.devices) console.log(`  device ${JSON.stringify(d)}`);
    if (values['devices-out']) writeFileSync(values['devices-out'], JSON.stringify(rig.devices, null, 2));
    const abort = new AbortController();
    const done = rig.play(scenario, abort.signal, (code) => console.log(`parcel ${code}`)).catch((e: Error) => console.error(`scenario stopped: ${e.message}`));
    return {
      stop: async () => {
        abort.abort();
        await done;
        await rig.stop();
      },
    };
  }
  if (device === 'xray-line') {
    const sim = new XrayLineSimulator({ pkiDir: mkdtempSync(join(tmpdir(), 'bondgate-sim-pki-')) });
    const url = await sim.start({ port: port(4840) });
    console.log(`X-ray inspection line on ${url} (namespace urn:bondgate:xray-line; Divert(ParcelId, Lane) on XrayLine.Diverter)`);
    let n = 1;
    const timer = setInterval(() => {
      const verdict = Math.random() < 0.1 ? 'suspect' : 'clear';
      sim.feedParcel({ parcelId: s10Number(n++), verdict }).catch(() => undefined);
    }, every);
    return { stop: async () => (clearInterval(timer), await sim.stop()) };
  }
  if (device === 'conveyor') {
    const sim = new ConveyorPlcSimulator();
    await sim.start(port(5020));
    console.log(`conveyor PLC on Modbus TCP 127.0.0.1:${port(5020)} (coil 0 runs the belt; see drivers/modbus/conveyor-simulator.ts for the map)`);
    const timer = setInterval(() => void sim.feedParcel(), every);
    return { stop: async () => (clearInterval(timer), await sim.stop()) };
  }
  if (device === 'camera') {
    const bwipjs = (await import('bwip-js')).default;
    let n = 1;
    let frame = await bwipjs.toBuffer({ bcid: 'code128', text: s10Number(n), scale: 3, height: 12, paddingwidth: 30, paddingheight: 30, backgroundcolor: 'FFFFFF' });
    const timer = setInterval(() => {
      void bwipjs.toBuffer({ bcid: n % 3 === 0 ? 'qrcode' : 'code128', text: s10Number(++n), scale: 3, height: 12, paddingwidth: 30, paddingheight: 30, backgroundcolor: 'FFFFFF' }).then((b) => (frame = b));
    }, every * 3);
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(frame));
    await new Promise<void>((r) => server.listen(port(8081), '127.0.0.1', r));
    console.log(`camera snapshot on http://127.0.0.1:${port(8081)}/snapshot.png`);
    return { stop: async () => (clearInterval(timer), await new Promise<void>((r) => server.close(() => r()))) };
  }
  if (device === 'seal') {
    if (!values.broker) throw new Error(USAGE);
    const sim = new SealSimulator({ brokerUrl: values.broker, seal: { manufacturer: 'SIM', serial: values.serial } });
    await sim.start();
    console.log(`e-seal SIM:${values.serial} reporting on ${sim.topic} at ${values.broker}`);
    const trip = async () => {
      // Sealed inside the demo zone (22.54–22.56 N, 114.05–114.07 E), driven out, opened at the destination.
      await sim.seal([22.55, 114.06]);
      for (const [lat, lon] of [[22.556, 114.066], [22.565, 114.075], [22.58, 114.09]] as const) {
        await sleep(every);
        if (!running) return;
        await sim.moveTo([lat, lon]);
      }
      await sleep(every);
      if (running) await (values.outside ? sim.unseal([22.58, 114.09]) : sim.unseal([22.55, 114.06]));
    };
    const done = trip().catch((e: Error) => console.error(`seal simulator stopped: ${e.message}`));
    return { stop: async () => ((running = false), await done, await sim.stop()) };
  }
  if (device === 'lock') {
    const sim = new LockSimulator({ openCoil: 0, openedInput: 0, forcedInput: 1 });
    await sim.start(port(5020));
    console.log(`barrier controller on Modbus TCP 127.0.0.1:${port(5020)} (coil 0 opens; input 0 = open, input 1 = forced open)`);
    return { stop: () => sim.stop() };
  }
  if (device === 'rfid') {
    const sim = new LlrpReaderSimulator(200, 5000);
    const tags = (values.tags ?? '3074257BF7194E4000001A85,3174257BF4499602D2000000').split(',').map((epcHex, i) => ({ epcHex: epcHex.trim().toUpperCase(), antennaId: (i % 2) + 1, peakRssiDbm: -55 - i }));
    sim.setTags(tags);
    const bound = await sim.start(port(5084));
    console.log(`LLRP reader on 127.0.0.1:${bound} with ${tags.length} tag(s) in its field`);
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
