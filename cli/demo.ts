import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startLineRig } from '../drivers/sim/line-rig.ts';
import { Scenario, type ScenarioParcel } from '../drivers/sim/scenario.ts';
import { startEdge } from '../edge/agent.ts';
import { EdgeConfig } from '../edge/config.ts';
import { hashPassword, randomSecret } from '../hub/auth/passwords.ts';
import { applyHubEnv, HubConfig } from '../hub/config.ts';
import { startHub } from '../hub/server.ts';
import { loadConfigFile, parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { startDemoWarehouse } from './demo-warehouse.ts';
import { declareScenarioParcel, DEMO_SLIP_VEHICLE, issueDemoSlip, seedDemoDocuments } from './demo-documents.ts';
import { startDemoEport, waitForDemoSlip } from './demo-eport.ts';
import { DEFAULT_SCENARIO } from './sim.ts';

/** Is the TCP port free on this host? (The demo then moves to a free one and says so.) */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

const DEMO_GATEWAY = 'GW-DEMO-01';

export interface DemoOptions {
  /** Dashboard port (default PORT or 8080, a free one when that is busy); 0 = any free port. */
  httpPort?: number;
  /** Embedded broker port (default MQTT_PORT or 1883, a free one when that is busy). */
  mqttPort?: number;
  /** Station pages port (default 8088, a free one when that is busy). */
  consolePort?: number;
}

export interface RunningDemo {
  hubUrl: string;
  consoleUrl: string;
  edgeHealthUrl: string;
  slipNo: string | null;
  eport: { outbox: string; inbox: string; sent: string };
  stop(): Promise<void>;
}

export async function runDemo(dataDir = process.env.BONDGATE_DATA_DIR ?? './data/demo', o: DemoOptions = {}): Promise<RunningDemo> {
  mkdirSync(dataDir, { recursive: true });
  // Secrets survive restarts of the demo so the journal and the hub keep agreeing on the gateway.
  const secretsFile = join(dataDir, 'demo-secrets.json');
  const secrets: { gatewayPassword: string } = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : { gatewayPassword: randomSecret() };
  writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
  const adminPassword = process.env.BONDGATE_ADMIN_PASSWORD ?? 'bondgate-demo-harbour';

  const wantedHttp = o.httpPort ?? Number(process.env.PORT ?? 8080);
  const httpPort = (await portFree('127.0.0.1', wantedHttp)) ? wantedHttp : 0;
  // The e-port channel: the card client and the single-window client, simulated, on folders under the data dir.
  const log = createLogger('demo', process.env.LOG_LEVEL ?? 'warn');
  const eport = await startDemoEport(dataDir, log.child({ part: 'demo-eport' }));
  const hubConfig = parseConfig(
    HubConfig,
    applyHubEnv({
      hubId: 'demo-hub',
      dataDir: join(dataDir, 'hub'),
      http: { host: '127.0.0.1', port: httpPort },
      mqtt: { embedded: { host: '127.0.0.1', port: o.mqttPort ?? 1883, fallbackToFreePort: true } },
      eport: eport.hub.eport,
      signatures: { trustAnchors: eport.hub.trustAnchors },
      auth: { adminPassword },
      gateways: [{ id: DEMO_GATEWAY, password: secrets.gatewayPassword }],
      // The demo gateway's inspection bench (station BENCH-1 below): its findings reach the officers' queue.
      benches: [{ gatewayId: DEMO_GATEWAY, stationId: 'BENCH-1' }],
    }),
    'demo defaults',
  );
  // The console shows the banner and a sync line; LOG_LEVEL=info brings back the structured logs.
  const hub = await startHub(hubConfig, log.child({ part: 'hub' }));
  // The morning's declarations first (on a fresh store: it checks there are no cases yet), pushed through the e-port
  // InBox while the line's devices and the gateway start; the line's own parcels are declared the same way as they are
  // played, after these (the InBox is read in order).
  // A release slip for the demo exit lane, issued like any officer's (numbered, audited, in the slips page and search):
  // type it (or scan its QR) and the plate at the gate page. Its parcels are released once customs' CEB622s are in.
  const seeding = seedDemoDocuments(hub, adminPassword, eport.push, log.child({ part: 'demo-documents' })).catch((e: Error) => (log.error({ err: e.message }, 'demo documents not seeded'), 0));
  const slipping = waitForDemoSlip(() => issueDemoSlip(hub), 120_000).catch((e: Error) => (log.error({ err: e.message }, 'demo slip not issued'), null));
  // The gateway's devices are simulators on their real transports (ptys, OPC UA, Modbus TCP), playing a scenario.
  const notes: string[] = [];
  const rig = await startLineRig({ pkiDir: join(dataDir, 'opcua-pki'), note: (l) => notes.push(l) });
  const scenarioAbort = new AbortController();
  // Signed rules tell the station how to weigh the evidence (weight tolerance, an X-ray suspect to inspection).
  const now = Date.now();
  await hub.feed.put([{ kind: 'rules', key: 'DEMO-RULES', value: { rulesId: 'DEMO-RULES', validFromMs: now - 3600_000, validToMs: now + 365 * 86_400_000, weightTolerancePct: 10, weightToleranceKg: 0.05, xraySuspectToInspection: true, samplingRate: 0.05, gateWeightTolerancePct: 3, gateWeightToleranceKg: 50, maxCacheAgeMs: 15 * 60_000 } }]);
  // Customs decides each scenario parcel from its documents before it reaches the line: the demo declares it through
  // the customs intake (documents, then customs' list receipt) as the e-port would, so every decision the line gets
  // comes from a customs case — none is put into the station feed by hand. A label seen again on a later pass (the
  // scenario's fixed code) is declared once.
  const declared = new Set<string>();
  let nthParcel = 0;
  const decide = (code: string, p: ScenarioParcel) => {
    if (declared.has(code)) return;
    declared.add(code);
    void declareScenarioParcel(eport.push, code, p, nthParcel++).catch((e: Error) => log.error({ err: e.message, parcelKey: code }, 'demo parcel not declared'));
  };
  const warehouse = await startDemoWarehouse({ hub, dataDir, log: log.child({ part: 'demo-warehouse' }) });
  const edgeConfig = parseConfig(
    EdgeConfig,
    {
      gatewayId: DEMO_GATEWAY,
      dataDir: join(dataDir, 'edge'),
      hub: { mqttUrl: hub.mqttUrl, password: secrets.gatewayPassword, rulesPublicKey: hub.rulesPublicKeyPem },
      http: { host: '127.0.0.1', port: 0 },
      devices: [...rig.devices, ...warehouse.devices],
      console: { host: '127.0.0.1', port: (await portFree('127.0.0.1', o.consolePort ?? 8088)) ? (o.consolePort ?? 8088) : 0, operators: [{ id: 'op1', pinHash: await hashPassword('123456') }] },
      stations: [
        { kind: 'bench', id: 'BENCH-1', bench: { benchId: 'BENCH-1' } },
        // The exit lane has a real (simulated) barrier on Modbus; no weighbridge in the demo, so weight is not required.
        { kind: 'gate', id: 'GATE-OUT-1', gate: { laneId: 'OUT-1', direction: 'out', requireWeighbridge: false, requireSealMatch: false, captureTimeoutMs: 60_000 }, devices: { barrier: 'exit-barrier' } },
        {
          kind: 'inspection',
          id: 'INSPECTION-LINE-1',
          // The simulated tunnel reads one parcel at a time, seconds apart: two labels within 300 ms are one parcel.
          line: { lineId: 'LINE-1', decideTimeoutMs: 4000, multiReadWindowMs: 300 },
          devices: { scanners: rig.devices.filter((d) => d.kind === 'serial-scanner').map((d) => d.id), ...(rig.devices.some((d) => d.id === 'scale-1') ? { scale: 'scale-1' } : {}), xray: 'xray-line', diverter: 'xray-line' },
        },
        ...warehouse.stations,
      ],
    },
    'demo defaults',
  );
  const edge = await startEdge(edgeConfig, log.child({ part: 'edge' }));
  const [seeded, slipNo] = await Promise.all([seeding, slipping]);
  const scenarioDone = rig.play(loadConfigFile(Scenario, DEFAULT_SCENARIO), scenarioAbort.signal, decide).catch((e: Error) => log.error({ err: e.message }, 'scenario stopped'));
  warehouse.run(edge);

  const lines = [
    '',
    '  Bondgate demo is running',
    `  Dashboard:     ${hub.httpUrl}/   (users admin, officer1, manager1 — password ${adminPassword})`,
    ...(seeded > 0 ? [`  Customs:       ${seeded} demo declarations pushed through the e-port InBox (most released by customs' CEB622, some in the officers' queue)`] : []),
    `  E-port:        OutBox ${eport.dirs.outbox}, InBox ${eport.dirs.inbox} (simulated single-window client; sent files in ${eport.dirs.sent})`,
    `                 card client ${eport.card.url} (simulated e-port card signs what the hub sends: CEB711/507/509)`,
    `  MQTT broker:   ${hub.mqttUrl}${hub.broker?.movedFromPort ? `   (port ${hub.broker.movedFromPort} is busy — another broker runs there; set MQTT_PORT to choose a port or MQTT_URL to use that broker)` : ''}`,
    `  Edge gateway:  ${DEMO_GATEWAY}, simulated inspection line, health ${edge.healthUrl}/healthz`,
    `  Station pages: ${edge.consoleUrl}/   (operator op1, PIN 123456; keyboard only: scan, Enter, F1–F3)`,
    ...(slipNo ? [`  Exit gate:     slip ${slipNo}, plate ${DEMO_SLIP_VEHICLE.vehicleNo}`] : []),
    `  Devices:       ${rig.devices.map((d) => `${d.id} (${d.kind})`).join(', ')}`,
    ...notes.map((n) => `  Note: ${n}`),
    httpPort === 0 && wantedHttp !== 0 ? `  (HTTP port ${wantedHttp} was busy; set PORT to choose another)` : '',
    '  Stop with Ctrl+C.',
    '',
  ].filter((l) => l !== '');
  console.log(lines.join('\n'));
  // Sync state on the console: what the gateway journalled, what the hub has committed, what is in flight.
  const status = setInterval(() => {
    const j = edge.journal;
    const b = j.backlog();
    console.log(
      `[${new Date().toLocaleTimeString()}] ${DEMO_GATEWAY}: journalled ${j.headSeq}, hub acked ${j.ackedSeq}, backlog ${b.count}` +
        `${b.oldestWallMs ? ` (oldest ${((Date.now() - b.oldestWallMs) / 1000).toFixed(1)} s)` : ''}, broker ${edge.sync.state.connected ? 'connected' : 'DISCONNECTED'}, disk ${j.diskLevel}` +
        `, devices ${(edge.devices?.status() ?? []).map((d) => `${d.id} ${d.state}`).join(' · ')}`,
    );
  }, 10_000);
  status.unref();
  return {
    hubUrl: hub.httpUrl,
    consoleUrl: edge.consoleUrl ?? '',
    edgeHealthUrl: edge.healthUrl ?? '',
    slipNo,
    eport: { outbox: eport.dirs.outbox, inbox: eport.dirs.inbox, sent: eport.dirs.sent },
    stop: async () => {
      clearInterval(status);
      scenarioAbort.abort();
      await scenarioDone;
      await warehouse.stop();
      await edge.stop();
      await rig.stop();
      await hub.stop();
      await eport.stop();
    },
  };
}
