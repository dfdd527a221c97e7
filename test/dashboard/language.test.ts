import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, introduceMismatch, reprice, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';
import { alarmEvents, inspectedEvent, LEGACY_EVERY, LEGACY_LINE_TEXT } from '../helpers/line-history.ts';

/**
 * Every word in the reader's language (issue 17 item 5): each dashboard page, in Chinese and in English, in Debian
 * Chromium, on cases whose reasons and refusals show (mismatches of every kind, risk over the limit, customs holds,
 * inspection, no receipt, a refused release), and on the line's diversions (its reasons as codes, the hub's reasons
 * behind a hold among them, and as the English text older gateways journalled) and the gateways' alarms (their own
 * words — errno messages, device texts — kept apart as technical detail). What a person sees — text, placeholders, accessible names — must hold
 * no English word in the Chinese UI and no Chinese in the English one. Values are not words: numbers and codes,
 * what the dashboard marks as data (`[data-value]`, `translate="no"`, `<code>`), and the language switch's own label.
 *
 * The heuristic for Chinese: a Latin word of three letters or more, unless it carries a digit (EA123CN, CEB622), is an
 * acronym of at most six capitals (CSV, HS, SSCC, PIN) or is on the allow-list of names and units below.
 */
const ZH_ALLOWED = new Set([
  ...['Bondgate', 'English', 'kg', 'Modbus', 'MQTT', 'OPC', 'SQLite'],
  // Data inside a sentence: the rig's user name (in "admin 的角色"), the risk rules' version label, a config key.
  ...['admin', 'default', 'benches'],
]);
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const receipt = (p: GeneratedParcel, returnStatus: number) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus, returnTime: '20260301103000123', returnInfo: returnStatus === 500 ? '布控查验' : '' });
const keyOf = (p: GeneratedParcel) => p.set.waybill.logisticsNo;
const total = (p: GeneratedParcel) => Number(p.set.order.goodsValue) + Number(p.set.order.freight) + Number(p.set.inventory.insuredFee ?? 0);

/** The visible words of the page: text nodes and the names a screen reader says, data left out. */
async function visibleWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const SKIP = 'script, style, code, kbd, [data-value], [translate="no"], [aria-hidden="true"], button.lang';
    const out: string[] = [];
    const visible = (el: Element) => {
      const r = el.getClientRects();
      if (r.length === 0) return false;
      const s = getComputedStyle(el);
      return s.visibility !== 'hidden' && s.display !== 'none';
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent?.trim();
      if (!el || !text || el.closest(SKIP) || !visible(el)) continue;
      out.push(text);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label]')) {
      if (el.closest(SKIP) || !visible(el)) continue;
      for (const a of ['placeholder', 'aria-label']) {
        const v = el.getAttribute(a);
        if (v) out.push(v);
      }
    }
    return out;
  });
}

/** English words in a Chinese text (the heuristic above). */
export function englishIn(text: string): string[] {
  const words = text.match(/[A-Za-z0-9][A-Za-z0-9_'’.-]*/g) ?? [];
  return words.filter((w) => {
    const word = w.replace(/[.'’-]+$/, '');
    if (/\d/.test(word)) return false;
    if (!/[A-Za-z]{3,}/.test(word)) return false;
    if (/^[A-Z]{2,6}$/.test(word)) return false;
    return !ZH_ALLOWED.has(word);
  });
}
const chineseIn = (text: string): string[] => text.match(/[\p{Script=Han}]+/gu) ?? [];

describe.skipIf(!chromiumAvailable())('every word in the reader language', () => {
  let rig: DashboardRig;
  let parcels: GeneratedParcel[];
  let refused: GeneratedParcel;
  /** Parcels the line diverted with no declaration: their journeys and the line-exception queue show the reasons. */
  const UNDECLARED = Array.from({ length: 2 * LEGACY_EVERY }, (_, i) => `LX${String(i).padStart(9, '0')}CN`);
  const call = async (role: 'officer' | 'manager', method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rig.hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${await rig.token(role)}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('language', { benches: [{ gatewayId: 'GW-BENCH-1', stationId: 'BENCH-1' }] });
    const sets = generateDocumentSets({ seed: 1717 }, 12);
    refused = introduceMismatch(sets[1]!, 'payment.payerName');
    const upload: [GeneratedParcel, number | undefined][] = [
      [reprice(sets[0]!, 6200 / total(sets[0]!)), 800], // over the single-transaction limit
      [refused, 800],
      [introduceMismatch(sets[2]!, 'waybill.consigneeTelephone'), 800],
      [introduceMismatch(sets[3]!, 'inventory.grossWeight'), 800],
      [introduceMismatch(sets[4]!, 'inventory.total'), 800],
      [introduceMismatch(sets[5]!, 'inventory.extraLine'), 800],
      [introduceMismatch(sets[6]!, 'inventory.emsNo'), 800],
      [sets[7]!, 500], // inspection ordered
      [sets[8]!, undefined], // no receipt yet
      [sets[9]!, 502], // detained
      [sets[10]!, 399], // concluded, awaiting release
      [sets[11]!, 800], // released
    ];
    for (const [p, status] of upload) {
      const r = await call('officer', 'POST', '/api/documents', { documents: [...docs(p), ...(status !== undefined ? [receipt(p, status)] : [])] });
      expect(r.status).toBe(200);
    }
    parcels = upload.map(([p]) => p);
    // Bench passes without words: one as the bench writes it now (a code), one as it wrote it before (English text).
    await rig.ingest('GW-BENCH-1', [
      { type: 'officer.action', stationId: 'BENCH-1', deviceId: 'console', parcelKey: keyOf(sets[7]!), payload: { officerId: 'officer-7', action: 'pass', reason: 'bench.pass.no-findings' } },
      { type: 'officer.action', stationId: 'BENCH-1', deviceId: 'console', parcelKey: keyOf(sets[9]!), payload: { officerId: 'officer-7', action: 'pass', reason: 'inspected at the bench: no findings' } },
    ]);
    // The line: the declared parcels and undeclared ones diverted with every kind of reason (generated history,
    // test/helpers/line-history.ts); two an older gateway journalled with English text only. Then the gateways' alarms.
    await rig.ingest('GW-LINE-1', [
      ...parcels.map((p, i) => inspectedEvent(keyOf(p), i, i % 3 === 0 ? 'release' : 'inspection')),
      ...UNDECLARED.map((key, i) => inspectedEvent(key, i, i % 4 === 3 ? 'exception' : 'inspection')),
      { type: 'parcel.diverted', stationId: 'LINE-2', parcelKey: UNDECLARED[0]!, payload: { lane: 'inspection', reasonCode: { code: 'risk.xray.suspect' } } },
      ...alarmEvents(),
    ]);
    await rig.hub.storage.addAlert({ gatewayId: 'GW-LINE-1', seq: 3, kind: 'chain_break', detail: 'prevHash of 3 differs', atMs: Date.now() });
  }, 90_000);
  afterAll(async () => rig?.stop());

  /** Each page the role may open, the queue's reasons and a refusal shown, then a journey per parcel. */
  async function walk(page: Page, role: 'officer' | 'admin', check: (where: string, words: string[]) => void): Promise<void> {
    const pages = role === 'admin' ? ['overview', 'parcels', 'queue', 'slips', 'stock', 'gateways', 'stats', 'admin'] : ['overview', 'parcels', 'queue', 'slips', 'bench', 'stock', 'gateways', 'stats'];
    for (const id of pages) {
      await page.goto(`${rig.hub.httpUrl}/#/${id}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      if (id === 'queue') await page.locator('tbody tr[data-key]').first().waitFor();
      if (id === 'gateways') await page.locator('tr[data-kind="device_down"]').first().waitFor();
      if (id === 'overview') await page.locator('.ov-alarms li').first().waitFor();
      check(id, await visibleWords(page));
    }
    for (const key of [...parcels.map(keyOf), ...UNDECLARED]) {
      await page.goto(`${rig.hub.httpUrl}/#/parcels/${key}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      check(`parcels/${key}`, await visibleWords(page));
    }
    if (role !== 'officer') return;
    // A refusal: releasing a parcel whose documents disagree.
    await page.goto(`${rig.hub.httpUrl}/#/queue`);
    await page.locator(`tr[data-key="${keyOf(refused)}"]`).click();
    await page.keyboard.press('r');
    await page.locator('#reason').fill('复核 / review');
    await page.locator('#reason').press('Enter');
    await page.locator('[role=alert]').filter({ hasText: keyOf(refused) }).waitFor();
    check('queue (refused)', await visibleWords(page));
  }

  it('Chinese pages hold no English words (officer and admin)', async () => {
    const found: string[] = [];
    for (const role of ['officer', 'admin'] as const) {
      const page = await rig.pageAs(role, { lang: 'zh-CN', width: 1366, height: 900 });
      await walk(page, role, (where, words) => {
        for (const w of words) for (const e of englishIn(w)) found.push(`${role} ${where}: "${e}" in "${w.slice(0, 120)}"`);
      });
      await page.context().close();
    }
    expect([...new Set(found)]).toEqual([]);
  }, 180_000);

  it('English pages hold no Chinese (officer and admin)', async () => {
    const found: string[] = [];
    for (const role of ['officer', 'admin'] as const) {
      const page = await rig.pageAs(role, { lang: 'en', width: 1366, height: 900 });
      await walk(page, role, (where, words) => {
        for (const w of words) for (const c of chineseIn(w)) found.push(`${role} ${where}: "${c}" in "${w.slice(0, 120)}"`);
      });
      await page.context().close();
    }
    expect([...new Set(found)]).toEqual([]);
  }, 180_000);

  it('a bench pass without words reads in the reader language, as written now (a code) and as written before', async () => {
    for (const [lang, words] of [['zh-CN', '查验台查验：未发现问题'], ['en', 'inspected at the bench: no findings']] as const) {
      const page = await rig.pageAs('officer', { lang });
      for (const p of [parcels[7]!, parcels[9]!]) {
        await page.goto(`${rig.hub.httpUrl}/#/parcels/${keyOf(p)}`);
        await expect.poll(() => page.locator('main').innerText(), { timeout: 20_000 }).toContain(words);
        expect(await page.locator('main').innerText()).not.toContain('bench.pass.no-findings');
      }
      await page.context().close();
    }
  }, 60_000);

  it('a mismatch of personal data: the officer sees both values with the differing part marked, a manager only that they differ', async () => {
    const phone = parcels[2]!; // waybill consignee telephone changed
    const officer = await rig.pageAs('officer');
    await officer.goto(`${rig.hub.httpUrl}/#/queue`);
    const row = officer.locator(`tr[data-key="${keyOf(phone)}"]`);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain(phone.set.order.consigneeTelephone);
    expect(text).toContain(phone.set.waybill.consigneeTelephone);
    expect(text).not.toContain('masked');
    const marked = await row.locator('mark.reason-diff').allInnerTexts();
    expect(marked.length).toBe(2);
    expect(marked[0]).not.toBe(marked[1]);
    await officer.context().close();

    const manager = await rig.pageAs('manager');
    await manager.goto(`${rig.hub.httpUrl}/#/queue`);
    const mrow = manager.locator(`tr[data-key="${keyOf(phone)}"]`);
    await mrow.waitFor();
    const mtext = await mrow.innerText();
    expect(mtext).toContain('订单的收货人电话与运单的收货人电话不一致');
    expect(mtext).not.toMatch(/\d{3}\*+\d{4}/);
    expect(await mrow.locator('mark.reason-diff').count()).toBe(0);
    await manager.context().close();
  }, 60_000);

  it('line reasons and alarms read in the reader language; English an older gateway wrote is shown as written, marked', async () => {
    const legacy = UNDECLARED[LEGACY_EVERY - 1]!;
    for (const [lang, hold, marker, alarm, technical] of [
      ['zh-CN', '海关暂不放行：高风险：收货人', '旧版网关原文', '设备 XRAY-1 离线', '技术细节：'],
      ['en', 'customs hold: high: consignee', 'as an older gateway wrote it', 'device XRAY-1 is down', 'Technical detail:'],
    ] as const) {
      const page = await rig.pageAs('officer', { lang });
      await page.goto(`${rig.hub.httpUrl}/#/parcels/${UNDECLARED[0]!}`);
      await expect.poll(() => page.locator('main').innerText(), { timeout: 20_000 }).toContain(hold);
      await page.goto(`${rig.hub.httpUrl}/#/parcels/${legacy}`);
      await expect.poll(() => page.locator('main').innerText(), { timeout: 20_000 }).toContain(marker);
      expect(await page.locator('main .reason-as-written [data-value]').first().innerText()).toBe(LEGACY_LINE_TEXT[(LEGACY_EVERY - 1) % LEGACY_LINE_TEXT.length]);
      await page.goto(`${rig.hub.httpUrl}/#/gateways`);
      const row = page.locator('tr[data-kind="device_down"]').filter({ hasText: 'XRAY-1' });
      await expect.poll(() => row.innerText(), { timeout: 20_000 }).toContain(alarm);
      // The errno message is technical detail, labelled, as data: never the alarm's sentence.
      expect(await row.locator('.technical-detail').innerText()).toContain(technical);
      expect(await row.locator('.technical-detail code').innerText()).toBe('connect ECONNREFUSED 10.0.0.7:4840');
      await page.context().close();
    }
  }, 90_000);

  it('tells English words from codes and data', () => {
    expect(englishIn('海关回执 800（放行）：EA000000029CN，CEB622，HS 编码，CSV')).toEqual([]);
    expect(englishIn('单证比对不一致 — documents disagree')).toEqual(['documents', 'disagree']);
  });
});
