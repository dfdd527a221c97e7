import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../test/helpers/services.ts';
import { maskText } from './mask-view.ts';
import { startConsole, type ConsoleInput, type ConsoleLog, type ConsoleStation, type ConsoleView } from './server.ts';

const OPERATOR = 'op-7';
const PIN = '246813';
const verifyOperator = (id: string, pin: string) => id === OPERATOR && pin === PIN;

/** An in-memory station: a scan turns the verdict red (risk hold), the actions turn it green or amber. */
function fakeStation(id = 'bench-1') {
  const listeners = new Set<() => void>();
  const inputs: { input: ConsoleInput; operatorId: string }[] = [];
  let view: ConsoleView = {
    display: { verdict: null, lastCodes: [], weightKg: 1.25, recent: [] },
    devices: [{ id: 'scanner-1', kind: 'scanner', state: 'up' }, { id: 'scale-1', kind: 'scale', state: 'up' }],
    sync: { online: true, backlog: 0, backlogAgeMs: 0, cacheVersion: 42, cacheAgeMs: 30_000, stale: false },
    actions: [
      { id: 'pass', zh: '通过', en: 'Pass', key: 'F1', tone: 'go' },
      { id: 'release', zh: '人工放行', en: 'Manual release', key: 'F2', needsReason: true, tone: 'go' },
      { id: 'seize', zh: '扣留', en: 'Seize', tone: 'stop' },
    ],
  };
  const change = (next: (v: ConsoleView) => ConsoleView) => {
    view = next(view);
    for (const l of listeners) l();
  };
  const verdict = (tone: 'go' | 'stop' | 'wait', zh: string, en: string, detail?: string) =>
    change((v) => ({ ...v, display: { ...v.display, verdict: { tone, zh, en, detail }, recent: [{ atMs: Date.now(), zh, en, tone }, ...v.display.recent] } }));
  const station: ConsoleStation = {
    id,
    kind: 'bench',
    title: { zh: '查验台 1', en: 'Officer bench 1' },
    view: () => view,
    async submit(input, operatorId) {
      inputs.push({ input, operatorId });
      if (input.kind === 'scan') {
        change((v) => ({ ...v, display: { ...v.display, lastCodes: [input.text, ...v.display.lastCodes].slice(0, 10) } }));
        verdict('stop', '查验：风险布控', 'Inspect: risk hold', `运单 ${input.text}`);
        return { ok: true, zh: '已扫描', en: 'Scanned' };
      }
      if (input.id === 'release') verdict('go', '人工放行', 'Released by hand', input.reason);
      else if (input.id === 'pass') verdict('go', '放行', 'Released');
      else verdict('stop', '扣留', 'Seized');
      return { ok: true, zh: '已记录', en: 'Recorded' };
    },
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
  };
  return { station, inputs, change, listeners };
}

function captureLog() {
  const lines: string[] = [];
  const push = (obj: object, msg: string) => lines.push(JSON.stringify({ ...obj, msg }));
  const log: ConsoleLog = { info: push, warn: push, error: push };
  return { log, lines };
}

interface Reply { status: number; headers: IncomingMessage['headers']; text: string; json: { code?: string; fields?: { field: string }[]; [k: string]: unknown } }

/** Raw HTTP (node:http), so Host, Origin and Sec-Fetch-Site are exactly what the test says. */
function call(base: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  const url = new URL(path, base);
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...(body !== undefined && typeof o.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...o.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json = {};
        if ((res.headers['content-type'] ?? '').includes('json') && text) json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function signIn(base: string): Promise<string> {
  const r = await call(base, '/api/login', { body: { operatorId: OPERATOR, pin: PIN } });
  expect(r.status).toBe(200);
  const cookie = String(r.headers['set-cookie']?.[0] ?? '');
  return cookie.split(';')[0]!;
}

/** A Server-Sent Events reader over node:http: `next(event, test)` waits for the next matching frame. */
function openEvents(base: string, path: string) {
  const frames: { event: string; data: string }[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  let res: IncomingMessage | undefined;
  const req = httpRequest(new URL(path, base), (r) => {
    res = r;
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(raw)?.[1];
        const data = /^data: (.*)$/m.exec(raw)?.[1];
        if (event && data !== undefined) frames.push({ event, data });
      }
      waiters.splice(0).forEach((w) => w());
    });
  });
  req.end();
  let read = 0;
  return {
    frames,
    get contentType() {
      return res?.headers['content-type'];
    },
    async next(event: string, test: (data: string) => boolean = () => true, timeoutMs = 3000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (read < frames.length) {
          const f = frames[read++]!;
          if (f.event === event && test(f.data)) return f.data;
        }
        if (Date.now() > deadline) throw new Error(`no ${event} frame within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => req.destroy(),
  };
}

describe('maskText', () => {
  it.each([
    ['买家 110101199003074514', '买家 110***********4514'],
    ['ID 11010119900307451X.', 'ID 110***********451X.'],
    ['电话 13812345678', '电话 138****5678'],
    ['+86 138-1234-5678 call', '+86 138****5678 call'],
    ['8613812345678', '86138****5678'],
  ])('masks %s', (text, masked) => expect(maskText(text)).toBe(masked));
  it.each([['SSCC 00340123450000000018 stays'], ['waybill 123456789012345678 (no birth date)'], ['weight 12.345 kg'], ['JD0001234567890']])('leaves %s', (text) => expect(maskText(text)).toBe(text));
});

describe('console over HTTP', () => {
  const fake = fakeStation();
  const { log, lines } = captureLog();
  let nowMs = 1_700_000_000_000;
  let base = '';
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const c = await startConsole({ host: '127.0.0.1', port: 0, stations: [fake.station], verifyOperator, log, now: () => nowMs, heartbeatMs: 500 });
    base = c.url;
    stop = c.stop;
  });
  afterAll(() => stop?.());

  it('serves the pages, the station list and the views without a session, with a strict CSP', async () => {
    const home = await call(base, '/');
    expect(home.status).toBe(200);
    expect(home.headers['content-type']).toContain('text/html');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await call(base, '/station/bench-1')).text).toContain('/static/station.js');
    expect((await call(base, '/static/station.js')).status).toBe(200);
    expect((await call(base, '/api/stations')).json).toEqual({ title: null, items: [{ id: 'bench-1', kind: 'bench', title: { zh: '查验台 1', en: 'Officer bench 1' } }] });
    const view = await call(base, '/station/bench-1/view');
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ sync: { cacheVersion: 42 }, actions: [{ id: 'pass' }, { id: 'release' }, { id: 'seize' }] });
    const missing = await call(base, '/station/nope/view');
    expect([missing.status, missing.json.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call(base, '/station/nope')).status).toBe(404);
  });

  it('never shows ID numbers or mobile numbers', async () => {
    fake.change((v) => ({ ...v, display: { ...v.display, verdict: { tone: 'wait', zh: '核对买家 110101199003074514', en: 'Check buyer', detail: '电话 13812345678' } } }));
    const view = await call(base, '/station/bench-1/view');
    expect(view.text).not.toContain('110101199003074514');
    expect(view.text).not.toContain('13812345678');
    expect(view.json).toMatchObject({ display: { verdict: { zh: '核对买家 110***********4514', detail: '电话 138****5678' } } });
  });

  it('refuses scans and actions without an operator session', async () => {
    const r = await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG1' } });
    expect([r.status, r.json.code]).toEqual([401, 'UNAUTHENTICATED']);
    const forged = await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG1' }, headers: { cookie: 'bg_console=forged' } });
    expect(forged.status).toBe(401);
    expect(fake.inputs).toHaveLength(0);
  });

  it('signs an operator in with an HttpOnly SameSite=Strict cookie; the station records who scanned', async () => {
    const r = await call(base, '/api/login', { body: { operatorId: OPERATOR, pin: PIN } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ operatorId: OPERATOR });
    const setCookie = String(r.headers['set-cookie']?.[0]);
    expect(setCookie).toMatch(/^bg_console=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = setCookie.split(';')[0]!;
    expect((await call(base, '/api/me', { headers: { cookie } })).json).toEqual({ operatorId: OPERATOR });
    const scan = await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG2024000001CN' }, headers: { cookie } });
    expect(scan.json).toEqual({ ok: true, zh: '已扫描', en: 'Scanned' });
    expect(fake.inputs.at(-1)).toEqual({ input: { kind: 'scan', text: 'BG2024000001CN' }, operatorId: OPERATOR });
  });

  it('refuses cross-site and other-origin POSTs (CSRF)', async () => {
    const cookie = await signIn(base);
    const port = new URL(base).port;
    const cases: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      // Another port on the same host is the same *site* (cookies are shared) but another origin, e.g. the hub's page.
      { origin: `http://127.0.0.1:${Number(port) + 1}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
    ];
    for (const headers of cases) {
      const r = await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG-X' }, headers: { cookie, ...headers } });
      expect([r.status, r.json.code], JSON.stringify(headers)).toEqual([403, 'CROSS_SITE']);
    }
    const login = await call(base, '/api/login', { body: { operatorId: OPERATOR, pin: PIN }, headers: { origin: 'http://evil.example' } });
    expect(login.json.code).toBe('CROSS_SITE');
    expect(fake.inputs.some((i) => i.input.kind === 'scan' && i.input.text === 'BG-X')).toBe(false);
    const ok = await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG-Y' }, headers: { cookie, origin: base, 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).toBe(200);
  });

  it('answers IP literals and localhost only (DNS rebinding)', async () => {
    const port = new URL(base).port;
    const rebound = await call(base, '/station/bench-1/view', { headers: { host: `evil.example:${port}` } });
    expect([rebound.status, rebound.json.code]).toEqual([421, 'HOST_NOT_ALLOWED']);
    expect((await call(base, '/station/bench-1/view', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it('refuses bad bodies with 400/413/415 and a code', async () => {
    const cookie = await signIn(base);
    const post = (body: unknown, headers: Record<string, string> = {}) => call(base, '/station/bench-1/submit', { body, headers: { cookie, ...headers } });
    const expectCode = async (r: Promise<Reply>, status: number, code: string, field?: string) => {
      const reply = await r;
      expect([reply.status, reply.json.code]).toEqual([status, code]);
      if (field) expect(reply.json.fields?.map((f) => f.field)).toContain(field);
    };
    await expectCode(post('kind=scan&text=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectCode(post('{"kind":"scan",', { 'content-type': 'application/json' }), 400, 'VALIDATION_FAILED', 'body');
    await expectCode(post({ kind: 'scan', text: 'x'.repeat(513) }), 400, 'VALIDATION_FAILED', 'text');
    await expectCode(post({ kind: 'scan', text: 'BG1\nrm -rf' }), 400, 'VALIDATION_FAILED', 'text');
    await expectCode(post({ kind: 'scan', text: '' }), 400, 'VALIDATION_FAILED', 'text');
    await expectCode(post({ kind: 'scan', text: 'BG1', extra: 1 }), 400, 'VALIDATION_FAILED');
    await expectCode(post({ kind: 'delete' }), 400, 'VALIDATION_FAILED', 'kind');
    await expectCode(post({ kind: 'action', id: 'launch' }), 409, 'ACTION_UNAVAILABLE', 'id');
    await expectCode(post({ kind: 'action', id: 'release' }), 400, 'VALIDATION_FAILED', 'reason');
    await expectCode(post({ kind: 'action', id: 'release', reason: '   ' }), 400, 'VALIDATION_FAILED', 'reason');
    await expectCode(post({ kind: 'scan', text: 'x'.repeat(9000) }), 413, 'PAYLOAD_TOO_LARGE');
    // GS (0x1D) separates GS1 element strings: a scanner sends it inside the code.
    const gs1 = '0100012345678905\u001d10ABC';
    expect((await post({ kind: 'scan', text: gs1 })).status).toBe(200);
    expect(fake.inputs.at(-1)?.input).toEqual({ kind: 'scan', text: gs1 });
    expect((await post({ kind: 'action', id: 'release', reason: ' seal intact ' })).status).toBe(200);
    expect(fake.inputs.at(-1)).toEqual({ input: { kind: 'action', id: 'release', reason: 'seal intact' }, operatorId: OPERATOR });
  });

  it('ends a session after 12 h without use, and at logout', async () => {
    const cookie = await signIn(base);
    const me = async () => (await call(base, '/api/me', { headers: { cookie } })).json.operatorId;
    nowMs += 11 * 3600_000;
    expect(await me()).toBe(OPERATOR);
    nowMs += 11 * 3600_000; // used 11 h ago: still alive (sliding)
    expect(await me()).toBe(OPERATOR);
    nowMs += 12 * 3600_000 + 1;
    expect(await me()).toBeNull();
    expect((await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG1' }, headers: { cookie } })).status).toBe(401);
    const other = await signIn(base);
    expect((await call(base, '/api/logout', { method: 'POST', headers: { cookie: other } })).status).toBe(204);
    expect((await call(base, '/station/bench-1/submit', { body: { kind: 'scan', text: 'BG1' }, headers: { cookie: other } })).status).toBe(401);
  });

  it('pushes every change over SSE, coalescing bursts', async () => {
    const sse = openEvents(base, '/station/bench-1/events');
    try {
      expect(JSON.parse(await sse.next('hello'))).toEqual({ heartbeatMs: 500 });
      await sse.next('view');
      expect(sse.contentType).toContain('text/event-stream');
      expect(fake.listeners.size).toBe(1);
      for (let i = 1; i <= 30; i++) fake.change((v) => ({ ...v, display: { ...v.display, weightKg: i } }));
      const pushed = JSON.parse(await sse.next('view', (d) => (JSON.parse(d) as ConsoleView).display.weightKg === 30)) as ConsoleView;
      expect(pushed.display.weightKg).toBe(30);
      const burstFrames = sse.frames.filter((f) => f.event === 'view').length - 1;
      expect(burstFrames).toBeLessThanOrEqual(2);
      // Nothing changes: the heartbeat says so.
      await sse.next('ping');
    } finally {
      sse.close();
    }
    await expect.poll(() => fake.listeners.size).toBe(0);
  });

  it('never logs a PIN or a scanned text', () => {
    const all = lines.join('\n');
    expect(all).toContain('console sign-in');
    expect(all).not.toContain(PIN);
    expect(all).not.toContain('BG2024000001CN');
  });
});

describe('failed sign-ins', () => {
  it('refuse a wrong PIN and rate-limit the address, even for the right PIN', async () => {
    let nowMs = 0;
    const { log, lines } = captureLog();
    const c = await startConsole({ host: '127.0.0.1', port: 0, stations: [fakeStation().station], verifyOperator, log, now: () => nowMs, loginFailures: { max: 3, windowMs: 60_000 } });
    try {
      for (const pin of ['000000', '111111', '999999']) {
        const r = await call(c.url, '/api/login', { body: { operatorId: OPERATOR, pin } });
        expect([r.status, r.json.code]).toEqual([401, 'UNAUTHENTICATED']);
        expect(r.headers['set-cookie']).toBeUndefined();
      }
      const blocked = await call(c.url, '/api/login', { body: { operatorId: OPERATOR, pin: PIN } });
      expect([blocked.status, blocked.json.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      nowMs += 60_001;
      expect((await call(c.url, '/api/login', { body: { operatorId: OPERATOR, pin: PIN } })).status).toBe(200);
      expect(lines.join('\n')).not.toMatch(/000000|111111|999999|246813/);
    } finally {
      await c.stop();
    }
  });
});

const chromiumPath = '/usr/bin/chromium';

describe.skipIf(!requireService(`Chromium (${chromiumPath}; apt-get install chromium)`, existsSync(chromiumPath)))('console in a real browser, keyboard only', () => {
  const fake = fakeStation('gate-3');
  let browser: Browser;
  let page: Page;
  let stop: () => Promise<void>;
  let base = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const c = await startConsole({ host: '127.0.0.1', port: 0, stations: [fake.station], verifyOperator });
    base = c.url;
    stop = c.stop;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'], headless: true });
    page = await browser.newPage();
    page.setDefaultTimeout(5000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  const activeId = () => page.evaluate(() => document.activeElement?.id ?? '');
  const text = (selector: string) => page.locator(selector).innerText();

  it('signs in, scans, switches language, acts with a reason, and follows pushed changes', async () => {
    await page.goto(`${base}/station/gate-3`);
    await page.waitForFunction(() => document.activeElement?.id === 'operator');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');

    await page.keyboard.type(OPERATOR);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'scan');
    expect(await text('#operator-id')).toBe(OPERATOR);

    await page.keyboard.type('BG2024000001CN');
    await page.keyboard.press('Enter');
    await page.locator('#verdict.tone-stop').waitFor();
    expect(await text('#verdict-primary')).toBe('查验：风险布控');
    expect(await text('#verdict-secondary')).toBe('Inspect: risk hold');
    expect(await page.locator('#verdict').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(180, 35, 24)');
    await page.waitForFunction(() => document.querySelector('#result')?.textContent?.includes('已扫描'));
    expect(await text('#last-codes')).toContain('BG2024000001CN');
    expect(fake.inputs.at(-1)).toEqual({ input: { kind: 'scan', text: 'BG2024000001CN' }, operatorId: OPERATOR });
    expect(await activeId()).toBe('scan');

    await page.keyboard.press('Alt+L');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await text('#verdict-primary')).toBe('Inspect: risk hold');
    expect(await page.locator('h2', { hasText: 'Last scans' }).count()).toBe(1);
    expect(await page.evaluate(() => window.localStorage.getItem('bondgate.console.lang'))).toBe('en');
    expect(await activeId()).toBe('scan');

    await page.keyboard.press('F2');
    await page.waitForFunction(() => document.activeElement?.id === 'reason');
    expect(await text('#reason-action')).toContain('Manual release');
    await page.keyboard.type('seal intact, officer checked');
    await page.keyboard.press('Enter');
    await page.locator('#verdict.tone-go').waitFor();
    expect(await text('#verdict-primary')).toBe('Released by hand');
    expect(fake.inputs.at(-1)).toEqual({ input: { kind: 'action', id: 'release', reason: 'seal intact, officer checked' }, operatorId: OPERATOR });
    await page.waitForFunction(() => document.activeElement?.id === 'scan');

    // Escape clears a half-typed code.
    await page.keyboard.type('BG-HALF');
    await page.keyboard.press('Escape');
    expect(await page.locator('#scan').inputValue()).toBe('');

    // Nothing absent is ever printed as "null"/"undefined" (the sync box while the cache is fresh, say).
    expect(await text('#sync')).not.toMatch(/null|undefined/);

    // The station changes by itself (hub link lost, scale waiting): the page follows without a reload.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    fake.change((v) => ({
      ...v,
      display: { ...v.display, verdict: { tone: 'wait', zh: '等待称重', en: 'Waiting for the scale' } },
      devices: [{ id: 'scale-1', kind: 'scale', state: 'down' }],
      sync: { online: false, backlog: 17, backlogAgeMs: 180_000, cacheVersion: 42, cacheAgeMs: 20 * 60_000, stale: true },
    }));
    await page.locator('#cache-stale').waitFor();
    expect(await text('#cache-stale')).toBe('缓存过期 cache stale');
    expect(await text('#verdict-primary')).toBe('Waiting for the scale');
    expect(await page.locator('#verdict').getAttribute('class')).toContain('tone-wait');
    expect(await text('#sync-online')).toBe('offline');
    expect(await text('#sync-backlog')).toBe('17');
    expect(await text('#devices')).toContain('scale-1 · down');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    await page.keyboard.press('Alt+L');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    expect(await text('#verdict-primary')).toBe('等待称重');
    expect(await text('#sync-online')).toBe('离线');
    expect(await activeId()).toBe('scan');
    expect(pageErrors).toEqual([]);
  });

  it("shows times in the zone's clock (China time, labelled) whatever the browser's zone (issue 17 item 10)", async () => {
    // 2026-12-07 03:04:05 UTC is 11:04:05 in China and 22:04:05 the day before in New York.
    const atMs = Date.UTC(2026, 11, 7, 3, 4, 5);
    fake.change((v) => ({ ...v, display: { ...v.display, recent: [{ atMs, zh: '沪A12345 放行', en: '沪A12345 Release', tone: 'go' }] } }));
    const ctx = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US' });
    const p = await ctx.newPage();
    p.setDefaultTimeout(5000);
    await p.goto(`${base}/station/gate-3`);
    await p.locator('#recent time').first().waitFor();
    expect(await p.locator('#recent time').first().innerText()).toBe('11:04:05');
    expect(await p.locator('#recent time').first().getAttribute('datetime')).toBe('2026-12-07T03:04:05.000Z');
    expect(await p.locator('h2[data-i18n="recent"]').innerText()).toContain('北京时间');
    await ctx.close();
  });

  it('fits a phone (390 px) without scrolling sideways, signed in and with a verdict (issue 17 item 7)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await ctx.newPage();
    p.setDefaultTimeout(5000);
    await p.goto(`${base}/station/gate-3`);
    await p.waitForFunction(() => document.activeElement?.id === 'operator');
    await p.keyboard.type(OPERATOR);
    await p.keyboard.press('Tab');
    await p.keyboard.type(PIN);
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.activeElement?.id === 'scan');
    await p.keyboard.type('BG2024000001CN');
    await p.keyboard.press('Enter');
    await p.locator('#verdict.tone-stop').waitFor();
    // A gate's worst case: a long alarm in both languages, a 24-character slip no., a container no., five devices.
    fake.change((v) => ({
      ...v,
      display: {
        ...v.display,
        verdict: { tone: 'stop', zh: '查验中: Z5301E260000000000001', en: 'Alarm: wrong vehicle: 沪B99999 ≠ 沪A12345; weight off: +1500 kg, tolerance 1164 kg; seal ACME:0001 opened outside the fence', detail: '车辆不符：沪B99999 ≠ 沪A12345；重量偏差：+1500 kg，允许 1164 kg' },
        lastCodes: ['Z3111I240728000000000003', '沪A12345', 'CSQU3054383', 'E0040000ABCDEF0123456789'],
      },
      devices: ['lpr-in-01', 'barrier-in-01', 'weighbridge-in-01', 'rfid-portal-in-01', 'seal-reader-in-01'].map((id) => ({ id, kind: 'device', state: 'up' })),
    }));
    await p.locator('#last-codes', { hasText: 'Z3111I240728000000000003' }).waitFor();
    const widths = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await p.goto(`${base}/`);
    await p.locator('a[href*="/station/"]').first().waitFor();
    const list = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(list.scroll).toBeLessThanOrEqual(list.client);
    await ctx.close();
  });

  it("shows a verdict's reasons in the reader's language (issue 17 item 5)", async () => {
    await page.goto(`${base}/station/gate-3`);
    fake.change((v) => ({ ...v, display: { ...v.display, verdict: { tone: 'stop', zh: '禁止通行', en: 'Alarm: no passage', detail: '车辆与核放单不符', details: { zh: '车辆与核放单不符：沪B99999 ≠ 沪A12345', en: 'wrong vehicle: 沪B99999 ≠ 沪A12345' } } } }));
    await page.locator('#verdict-detail', { hasText: '沪B99999' }).waitFor();
    const lang = await page.evaluate(() => document.documentElement.lang);
    const want = (l: string) => (l === 'en' ? 'wrong vehicle: 沪B99999 ≠ 沪A12345' : '车辆与核放单不符：沪B99999 ≠ 沪A12345');
    expect(await text('#verdict-detail')).toBe(want(lang));
    await page.keyboard.press('Alt+L');
    await page.waitForFunction((was) => document.documentElement.lang !== was, lang);
    expect(await text('#verdict-detail')).toBe(want(await page.evaluate(() => document.documentElement.lang)));
  });
});
