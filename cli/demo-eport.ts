import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { documentsToCebXml } from '../hub/customs/ceb/from-documents.ts';
import type { CebType } from '../hub/customs/ceb/parse.ts';
import { CustomsDocument } from '../hub/customs/documents.ts';
import { CardSimulator } from '../hub/eport/card-simulator.ts';
import { Sm2FileSigner } from '../hub/eport/file-signer.ts';
import { Secret } from '../hub/eport/pin.ts';
import { makeTestPki, type TestPki } from '../hub/eport/test-pki.ts';
import { makePrivate } from '../shared/private-files.ts';
import { EportClientSim } from './sim-eport.ts';

/**
 * The demo's e-port channel (issue 18): the hub signs through a simulated e-port card client (`sim eport-card`'s
 * CardSimulator, on its local WebSocket, PIN from a 0600 file) and exchanges files with a simulated single-window client
 * (`sim eport`'s EportClientSim) over an OutBox and an InBox under `<dataDir>/eport/`. What customs and the e-commerce
 * parties send the zone — orders, payments, waybills, inventory lists, customs' CEB622 receipts — is pushed by that
 * client into the InBox as CEB XML (the lists signed with a declaring agent's test card), and the hub takes it through
 * its InBox watcher and intake like any other; what the hub sends (CEB711/507/509) the client answers.
 *
 * Both test PKIs are kept in the data dir, so a restarted demo signs with the same cards and its earlier messages still
 * verify against the trust anchors it configures.
 */
export interface DemoEport {
  /** The hub config's `eport` section and the trust anchors its signatures check against. */
  hub: { eport: Record<string, unknown>; trustAnchors: string[] };
  dirs: { root: string; outbox: string; inbox: string; sent: string };
  sim: EportClientSim;
  card: CardSimulator;
  /** Push customs documents as the e-port does: one CEB message per type (≤ 20 blocks each) into the InBox. */
  push(documents: readonly unknown[]): Promise<number>;
  stop(): Promise<void>;
}

/** The demo zone's party codes on the messages it sends (fictitious). */
export const DEMO_ZONE = {
  copCode: '5301630ZON',
  copName: '示范综合保税区仓储有限公司',
  dxpId: 'DXPENT0000053010',
  customsCode: '5301',
  operatorCode: '5301630ZON',
  operatorName: '示范综合保税区仓储有限公司',
  logisticsCode: '5301980LOG',
  logisticsName: '示范速递有限公司',
} as const;

/** Who declares the demo's parcels (the agent whose card signs the lists). */
const DECLARER = { copCode: '3301980L31', copName: '杭州关通报关有限公司', dxpId: 'DXPENT0000033019' };

const TYPE_OF_KIND: Partial<Record<string, CebType>> = { order: 'CEB311', payment: 'CEB411', waybill: 'CEB511', inventory: 'CEB621' };
const BLOCKS_PER_MESSAGE = 20;

function keptPki(file: string, make: () => TestPki): TestPki {
  if (existsSync(file)) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Omit<TestPki, 'signer'> & { signer: Omit<TestPki['signer'], 'serial'> & { serial: string } };
    return { ...raw, signer: { ...raw.signer, serial: BigInt(raw.signer.serial) } };
  }
  const pki = make();
  writeFileSync(file, JSON.stringify({ ...pki, signer: { ...pki.signer, serial: pki.signer.serial.toString() } }), { mode: 0o600 });
  makePrivate(file);
  return pki;
}

export async function startDemoEport(dataDir: string, log: Logger, o: { stepMs?: number } = {}): Promise<DemoEport> {
  const root = resolve(dataDir, 'eport');
  const dirs = { root, outbox: join(root, 'OutBox'), inbox: join(root, 'InBox'), sent: join(root, 'client-sent') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const nowMs = Date.now();
  // A card for ten years: the demo data dir outlives a year of restarts without an expiry warning.
  const cardPki = keptPki(join(root, 'card-pki.json'), () => makeTestPki({ nowMs, validDays: 3650, signerCn: 'Bondgate Demo Zone E-Port Card', caCn: 'Bondgate Demo E-Port CA' }));
  const agentPki = keptPki(join(root, 'declarer-pki.json'), () => makeTestPki({ nowMs, validDays: 3650, signerCn: `Demo Declaring Agent ${DECLARER.copCode}`, caCn: 'Bondgate Demo Declarers CA', serial: 0x03000000000d0001n }));
  const caFile = join(root, 'trusted-ca.pem');
  writeFileSync(caFile, `${cardPki.caPem.trim()}\n${agentPki.caPem.trim()}\n`);

  // The card PIN: a file only its owner reads, as a site would configure it (never in the config itself).
  const pinFile = join(root, 'card-pin');
  if (!existsSync(pinFile)) writeFileSync(pinFile, `${String(100000 + Math.floor(Math.random() * 900000))}\n`, { mode: 0o600 });
  makePrivate(pinFile);
  const pin = new Secret(readFileSync(pinFile, 'utf8').trim());
  const card = new CardSimulator({ host: '127.0.0.1', port: 0, pin, pki: cardPki });
  const cardUrl = await card.start();

  const sim = new EportClientSim({ outbox: dirs.outbox, inbox: dirs.inbox, work: dirs.sent, note: (l) => log.debug({ part: 'sim-eport' }, l) });
  const timer = setInterval(() => void sim.step().catch((e: Error) => log.warn({ err: e.message }, 'simulated single-window client: step failed')), o.stepMs ?? 200);
  timer.unref();

  const declarer = new Sm2FileSigner({ privateKey: agentPki.signer.privateKeyPem, certificate: agentPki.signer.certificatePem });
  async function push(documents: readonly unknown[]): Promise<number> {
    const byType = new Map<CebType, CustomsDocument[]>();
    for (const raw of documents) {
      const d = CustomsDocument.parse(raw);
      const type = d.kind === 'receipt' ? (d.messageType as CebType) : TYPE_OF_KIND[d.kind];
      if (!type) throw new Error(`the demo e-port does not push ${d.kind} documents`);
      byType.set(type, [...(byType.get(type) ?? []), d]);
    }
    let files = 0;
    // Type order is the order the e-port's parties send them in (orders … lists, then customs' receipts), and the
    // InBox is read in name order.
    for (const [type, docs] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
      for (let i = 0; i < docs.length; i += BLOCKS_PER_MESSAGE) {
        const r = await documentsToCebXml(type, docs.slice(i, i + BLOCKS_PER_MESSAGE), { transfer: DECLARER, signer: declarer });
        if (!r.ok) throw new Error(`demo ${type} not built: ${r.issues.slice(0, 3).map((x) => `${x.field}: ${x.message}`).join('; ')}`);
        sim.deliver(`${type}_${r.guid}.xml`, r.xml);
        files++;
        // Building and signing is CPU work on the demo's one thread: let the hub serve between messages.
        await new Promise((r) => setImmediate(r));
      }
    }
    await sim.step();
    return files;
  }

  return {
    hub: {
      eport: {
        signer: { kind: 'card', url: cardUrl, pinFile },
        exchange: { outbox: dirs.outbox, inbox: dirs.inbox, pollMs: 250, retryBaseMs: 1000, retryMaxMs: 30_000, zone: DEMO_ZONE },
      },
      trustAnchors: [caFile],
    },
    dirs,
    sim,
    card,
    push,
    async stop() {
      clearInterval(timer);
      await sim.step().catch(() => undefined);
      await card.stop();
    },
  };
}

/**
 * The demo slip needs released parcels, and they are released when customs' CEB622s have come through the InBox:
 * try until one is issued or `withinMs` has passed (then the banner shows none; the slips page can issue one later).
 */
export async function waitForDemoSlip(issue: () => Promise<string | null>, withinMs: number): Promise<string | null> {
  const until = Date.now() + withinMs;
  for (;;) {
    const slip = await issue();
    if (slip !== null || Date.now() >= until) return slip;
    await new Promise((r) => setTimeout(r, 100));
  }
}
