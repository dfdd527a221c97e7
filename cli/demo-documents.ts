import type { Logger } from 'pino';
import { generateDocumentSets, generateParcel, introduceMismatch, MISMATCH_KINDS, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import type { LogisticsNo } from '../hub/customs/documents.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import type { RunningHub } from '../hub/server.ts';
import { toReceiptTime } from '../hub/customs/documents.ts';

/**
 * The demo's customs side: on a fresh demo store, a morning's worth of declarations arrives the way it does at a zone —
 * pushed by the e-port as CEB XML into the single-window client's InBox (cli/demo-eport.ts), taken by the hub's InBox
 * watcher through the real intake — so the dashboard has cases to show: most cleared by customs (a CEB622 with 800)
 * and released automatically, some with documents that disagree, some still without customs' receipt, a few under a
 * customs inspection order. A demo officer and manager are created to work the queue.
 */
export const DEMO_USERS = [
  { username: 'officer1', role: 'officer', displayName: '关员 王芳' },
  { username: 'manager1', role: 'manager', displayName: '物流经理 李强' },
] as const;

/** Hands documents to the e-port, which pushes them into the InBox as CEB messages (cli/demo-eport.ts `push`). */
export type PushDocuments = (documents: readonly unknown[]) => Promise<unknown>;

const docsOf = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
/** Customs' CEB622 on a parcel's list, naming the list as customs does (copNo, preNo, invtNo and the parties). */
const receipt = (p: GeneratedParcel, status: number, atMs: number) => {
  const i = p.set.inventory;
  return { kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: i.copNo, preNo: i.preNo, invtNo: i.invtNo, ebpCode: i.ebpCode, ebcCode: i.ebcCode, agentCode: i.agentCode }, returnStatus: status, returnTime: toReceiptTime(atMs), returnInfo: status === 800 ? '放行' : status === 500 ? '布控查验' : status === 501 ? '海关扣留' : '已接受' };
};

/** Push the morning's declarations (and customs' receipts on most) into the e-port; returns how many parcels. */
export async function seedDemoDocuments(hub: Pick<RunningHub, 'storage'>, password: string, push: PushDocuments, log: Logger, count = 240): Promise<number> {
  const [row] = await hub.storage.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM customs_cases');
  if (Number(row?.n ?? 0) > 0) return 0; // seeded on an earlier start
  for (const u of DEMO_USERS) {
    if (!(await hub.storage.getUser(u.username))) await hub.storage.createUser({ ...u, passwordHash: await hashPassword(password), createdMs: Date.now() });
  }
  const now = Date.now();
  const sets = generateDocumentSets({ seed: 2026, baseTimeMs: now - 6 * 3600_000, intervalMs: 60_000 }, count);
  const documents = sets.map((p, n) => {
    // One in twelve has a disagreement between its documents; one in ten awaits customs; one in twenty-five is ordered for inspection.
    const parcel = n % 12 === 5 ? introduceMismatch(p, MISMATCH_KINDS[n % MISMATCH_KINDS.length]!) : p;
    const status = n % 10 === 3 ? null : n % 25 === 7 ? 500 : 800;
    return [...docsOf(parcel), ...(status === null ? [] : [receipt(parcel, status, now - (count - n) * 60_000)])];
  });
  // Twenty parcels at a time, as the e-port forwards them through the morning: the first lists are released (and the
  // demo slip can be issued) while the rest are still on their way.
  for (let i = 0; i < documents.length; i += 20) await push(documents.slice(i, i + 20).flat());
  log.info({ parcels: sets.length }, 'demo declarations pushed into the e-port InBox');
  return sets.length;
}

/** Import parcels leave the zone across the second line on exit slips: the demo truck's plate and tare. */
export const DEMO_SLIP_VEHICLE = { vehicleNo: '粤B12345', vehicleWtKg: 9000 } as const;

/**
 * The demo's release slip, issued through the same service as any officer's slip (checks, numbering, audit, feed): the
 * first released import parcels not yet on a slip go on one exit slip for the demo truck. Returns the open demo slip's
 * number (an earlier start's, when there is one), or null when no parcel is released yet.
 */
export async function issueDemoSlip(hub: Pick<RunningHub, 'releaseSlips'>, officer: string = DEMO_USERS[0].username): Promise<string | null> {
  const open = await hub.releaseSlips.list({ status: ['approved'], limit: 50 });
  const mine = open.items.find((s) => s.slip.vehicleNo === DEMO_SLIP_VEHICLE.vehicleNo && s.slip.status === 'approved');
  if (mine) return mine.slip.passportNo;
  const { items } = await hub.releaseSlips.candidates({ direction: 'import', limit: 3 });
  if (items.length === 0) return null;
  const slip = await hub.releaseSlips.issue({ ioType: 'E', gateMode: 'single', ...DEMO_SLIP_VEHICLE, containerNos: [], sealIds: [], parcelKeys: items.map((c) => c.parcelKey) }, officer);
  return slip.slip.passportNo;
}

/** What customs answers for a scenario parcel: the reject verdict is a detention (501), one in eight an inspection order (500), the rest released (800). */
export function scenarioReceiptStatus(verdict: 'clear' | 'suspect' | 'reject', n: number): 501 | 500 | 800 {
  if (verdict === 'reject') return 501;
  return n % 8 === 3 ? 500 : 800;
}

/**
 * Declare a parcel of the line's scenario through the e-port: its order, payment, waybill and list (the waybill number
 * is the label the line reads, the declared gross its scenario weight), then customs' CEB622 on the list, all pushed
 * into the InBox. Every decision the line gets for it comes from its customs case — none is put into the feed by hand.
 */
export async function declareScenarioParcel(push: PushDocuments, code: string, p: { weightKg: number; verdict: 'clear' | 'suspect' | 'reject' }, n: number, nowMs = Date.now()): Promise<number> {
  const g = generateParcel({ seed: 17_017, baseTimeMs: nowMs - 600_000 }, n);
  // Declared weights are exact decimals (issue 15): the scenario's number as written, the net a little under it.
  const grossKg = String(Math.round(p.weightKg * 1000) / 1000);
  const netKg = String(Math.min(Number(g.set.inventory.netWeight), Math.round(Number(grossKg) * 850) / 1000));
  const logisticsNo = code as LogisticsNo;
  const parcel: GeneratedParcel = {
    ...g,
    set: { ...g.set, waybill: { ...g.set.waybill, logisticsNo, weight: grossKg }, inventory: { ...g.set.inventory, logisticsNo, grossWeight: grossKg, netWeight: netKg } },
  };
  const status = scenarioReceiptStatus(p.verdict, n);
  await push([...docsOf(parcel), receipt(parcel, status, nowMs)]);
  return status;
}
