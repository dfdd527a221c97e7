import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.ts';
import { HubConfig } from '../hub/config.ts';
import { generateDocumentSets, type GeneratedParcel } from '../hub/customs/generate-docs.ts';
import { startHub, type RunningHub } from '../hub/server.ts';
import { parseConfig } from '../shared/config-file.ts';
import { createLogger } from '../shared/log.ts';
import { freePort } from './helpers/ports.ts';

/**
 * Personal data at the hub's output: one buyer (name, ID number, phones, consignee addresses, a payer of another name)
 * is declared on three parcels — one whose documents disagree on the payer and the address (so the case reasons and
 * mismatch texts are about them), one released and put on a release slip, one sent as a batch upload. Then every GET
 * route the hub declares (read from hub/routes, so a new route is walked without touching this test), SSE streams and
 * CSV included, is read as operator, manager and admin: none of those values may appear in any answer. An officer
 * sees them in the case's documents, as the README says.
 */
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'bg-pii-'));
let hub: RunningHub;
const tokens: Record<string, string> = {};

const BUYER = '欧阳晓梅';
const PAYER = '司马长风';
const ADDRESS = '浙江省杭州市西湖区文三路478号华星时代广场A座1203室';
const OTHER_ADDRESS = '浙江省杭州市西湖区文三路478号华星时代广场B座0901室';
const GATEWAY = 'GW-PII';

const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' });
const sets = generateDocumentSets({ seed: 1313 }, 3);
const who = sets[0]!.set.order;
const pii = { buyerIdNumber: who.buyerIdNumber, buyerTelephone: who.buyerTelephone, consigneeTelephone: who.consigneeTelephone };
/** The buyer's own data on every document of a parcel (the payment's payer named differently where `payer` says). */
function ofBuyer(p: GeneratedParcel, opts: { payer?: string; waybillAddress?: string } = {}): GeneratedParcel {
  const person = { buyerName: BUYER, buyerIdNumber: pii.buyerIdNumber, buyerTelephone: pii.buyerTelephone, buyerIdType: who.buyerIdType };
  const consignee = { consignee: BUYER, consigneeTelephone: pii.consigneeTelephone, consigneeAddress: ADDRESS };
  const s = p.set;
  return {
    ...p,
    set: {
      ...s,
      order: { ...s.order, ...person, ...consignee, buyerRegNo: who.buyerRegNo },
      inventory: { ...s.inventory, ...person, consigneeAddress: ADDRESS },
      payment: { ...s.payment, payerName: opts.payer ?? BUYER, payerIdNumber: pii.buyerIdNumber, payerIdType: who.buyerIdType },
      waybill: { ...s.waybill, ...consignee, consigneeAddress: opts.waybillAddress ?? ADDRESS },
    },
  };
}
const disputed = ofBuyer(sets[0]!, { payer: PAYER, waybillAddress: OTHER_ADDRESS });
const released = ofBuyer(sets[1]!);
const batched = ofBuyer(sets[2]!);
const SECRETS = [BUYER, PAYER, ADDRESS, OTHER_ADDRESS, pii.buyerIdNumber, pii.buyerTelephone, pii.consigneeTelephone];

async function call(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; text: string }> {
  const ctl = new AbortController();
  const res = await fetch(`${hub.httpUrl}${path}`, { method, signal: ctl.signal, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return { status: res.status, text: await res.text() };
  // A stream: read up to its first message, then hang up.
  const reader = res.body!.getReader();
  let text = '';
  while (!/\ndata: .*\n\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ctl.abort();
  return { status: res.status, text };
}

/** Every GET route the hub's routers declare, as written in hub/routes (and hub/app.ts). */
function declaredGetRoutes(): string[] {
  const root = resolve(import.meta.dirname, '../hub');
  const files = [...readdirSync(join(root, 'routes')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(root, 'routes', f)), join(root, 'app.ts')];
  const paths = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\b(?:r|app)\.get\(\s*'([^']+)'/g)].map((m) => m[1]!));
  return [...new Set(paths)].filter((p) => p.startsWith('/api/'));
}

beforeAll(async () => {
  hub = await startHub(
    parseConfig(HubConfig, { dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { embedded: { host: '127.0.0.1', port: await freePort() } }, auth: { adminPassword: 'pii-masking-secret' }, gateways: [{ id: GATEWAY, password: 'gateway-secret-pii' }] }, 'test'),
    log,
  );
  for (const [u, role] of [['officer-1', 'officer'], ['manager-1', 'manager'], ['operator-1', 'operator']] as const) {
    await hub.storage.createUser({ username: u, passwordHash: await hashPassword(`${u}-password`), role, displayName: u, createdMs: Date.now() });
  }
  for (const [u, pw] of [['officer-1', 'officer-1-password'], ['manager-1', 'manager-1-password'], ['operator-1', 'operator-1-password'], ['admin', 'pii-masking-secret']]) {
    tokens[u!] = ((await (await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: pw }) })).json()) as { token: string }).token;
  }
  const first = await call('POST', '/api/documents', 'officer-1', { documents: docs(disputed) });
  expect(first.status).toBe(200);
  expect((await call('POST', '/api/documents', 'officer-1', { documents: [...docs(released), cleared(released)] })).status).toBe(200);
  const slip = await call('POST', '/api/slips', 'officer-1', { ioType: 'E', gateMode: 'single', vehicleNo: '浙A12345', vehicleWtKg: 5000, containerNos: [], sealIds: [], parcelKeys: [released.set.waybill.logisticsNo] });
  expect(slip.status).toBe(201);
  slipNo = (JSON.parse(slip.text) as { slip: { passportNo: string } }).slip.passportNo;
  const batch = await call('POST', '/api/documents/batches', 'officer-1', { documents: docs(batched) });
  expect(batch.status).toBe(202);
  batchId = (JSON.parse(batch.text) as { id: string }).id;
  await vi.waitFor(async () => expect((JSON.parse((await call('GET', `/api/documents/batches/${batchId}`, 'officer-1')).text) as { status: string }).status).toBe('done'), { timeout: 20_000, interval: 100 });
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});
let slipNo = '';
let batchId = '';

describe('personal data in every GET answer', () => {
  const key = disputed.set.waybill.logisticsNo;
  const gtin = released.set.order.lines[0]!.barCode!;
  /** What each path parameter is filled with: the seeded parcel, slip, batch, gateway. */
  const params = (): Record<string, string> => ({ parcelKey: key, key, passportNo: slipNo, id: GATEWAY, ref: 'IMG-1', kind: 'order', gtin, copNo: 'RET-UNKNOWN', version: '1', gdsSeqno: '1', guid: 'NO-SUCH-GUID', no: 'NO-SUCH-LIST' });
  /** Query strings that make list routes answer with the seeded data. */
  const queries: Record<string, string[]> = {
    '/api/search': [`q=${key}`, `q=${disputed.set.order.orderNo}`],
    '/api/cases': ['', `q=${key}`],
    '/api/stats': ['groupBy=enterprise', 'groupBy=status'],
    '/api/stats.csv': ['groupBy=enterprise', 'groupBy=day&lang=en'],
    '/api/trace/product/:gtin': ['', `lot=`],
  };
  const paths = (): string[] =>
    declaredGetRoutes().flatMap((route) => {
      const filled = route.replace(/:(\w+)/g, (_, name: string) => {
        const v = params()[name];
        if (v === undefined) throw new Error(`route ${route}: no seeded value for :${name} — add one to this test`);
        return encodeURIComponent(v);
      });
      const batchPath = route.startsWith('/api/documents/batches/:id') ? filled.replace(GATEWAY, batchId) : filled;
      const qs = queries[route] ?? [''];
      return qs.map((q) => (q ? `${batchPath}?${q}` : batchPath));
    });

  it('walks the routes it should: every declared GET route, the case and the stream among them', () => {
    const all = paths();
    expect(all.length).toBeGreaterThan(35);
    expect(all).toContain(`/api/cases/${key}`);
    expect(all).toContain('/api/overview/stream');
    expect(all).toContain(`/api/documents/batches/${batchId}/events`);
  });

  for (const role of ['operator-1', 'manager-1', 'admin']) {
    it(`${role.replace(/-1$/, '')}: no name, address, ID number or phone in any answer`, async () => {
      const leaks: string[] = [];
      let answered = 0;
      for (const path of paths()) {
        const { status, text } = await call('GET', path, role);
        if (status === 200) answered++;
        for (const s of SECRETS) if (text.includes(s)) leaks.push(`${path} (${status}) shows ${s}`);
      }
      expect(leaks).toEqual([]);
      expect(answered).toBeGreaterThan(role === 'operator-1' ? 10 : 25);
    }, 60_000);
  }

  it('the data is there to leak: an officer sees the buyer in the documents, and the reasons are about them (masked)', async () => {
    const officer = await call('GET', `/api/cases/${key}`, 'officer-1');
    expect(officer.status).toBe(200);
    for (const s of [BUYER, PAYER, ADDRESS, OTHER_ADDRESS, pii.buyerIdNumber]) expect(officer.text).toContain(s);
    type Reasons = { case: { reasons: { rule: string; message: string; code?: string; params?: Record<string, unknown> }[] } };
    const c = JSON.parse(officer.text) as Reasons;
    const rules = c.case.reasons.map((r) => r.rule);
    expect(rules).toEqual(expect.arrayContaining(['match:payment.payer-is-buyer', 'match:order-waybill.consignee']));
    // The text names the fields only (it also goes to logs and stations); the officer gets the values as declared.
    const payer = c.case.reasons.find((r) => r.rule === 'match:payment.payer-is-buyer')!;
    expect(payer.message).toBe('order.buyerName differs from payment.payerName');
    expect(payer).toMatchObject({ code: 'match.differs', params: { field: 'buyerName', rightField: 'payerName', left: BUYER, right: PAYER } });
    // Addresses that differ only where a mask would hide them: the officer sees both, so sees where they differ.
    const address = c.case.reasons.find((r) => r.rule === 'match:order-waybill.consignee' && r.params?.field === 'consigneeAddress')!;
    expect(address.message).not.toContain('masked part');
    expect(address.params).toMatchObject({ left: ADDRESS, right: OTHER_ADDRESS });
    // Every other role: the same reason, "differs", with no values at all (not even masked ones).
    for (const role of ['manager-1', 'operator-1']) {
      const other = await call('GET', `/api/cases/${key}`, role);
      if (other.status !== 200) continue; // a role without the case route says nothing at all
      const reasons = (JSON.parse(other.text) as Reasons).case.reasons.filter((r) => r.code === 'match.differs' && ['buyerName', 'consigneeAddress'].includes(String(r.params?.field)));
      expect(reasons.length, role).toBeGreaterThanOrEqual(2);
      for (const r of reasons) expect(r.params, role).not.toHaveProperty('left');
      for (const r of reasons) expect(r.params, role).not.toHaveProperty('right');
    }
    // Reasons go to the stations too (the feed's decision): never with the names in them.
    const feed = await call('GET', '/api/feed', 'officer-1');
    expect(feed.text).toContain(key);
    for (const s of SECRETS) expect(feed.text).not.toContain(s);
    // The feed says the mismatch as a code the line console renders in its language, and never with the values.
    expect(feed.text).toContain('"code":"match.differs"');
    expect(feed.text).not.toMatch(/"(left|right)":/);
    expect(feed.text).not.toContain('masked part');
  });
});
