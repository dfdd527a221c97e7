import * as crypto from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { operatorVerifier, verifyPin } from '../stations/console-adapter.ts';
import { startConsole, type ConsoleOptions, type ConsoleStation } from './server.ts';

/**
 * Sign-in under attack: the limit holds for concurrent attempts (each is counted before its PIN is checked), one
 * operator's success never clears another's failures, and PIN hashes run off the event loop, a bounded few at a time.
 */

// scrypt as node:crypto has it, except that while `held` is on, each result waits until the test releases it:
// the hash itself runs (in libuv's threadpool), and the test sees how many are in flight without a clock.
const scryptHeld = vi.hoisted(() => ({ on: false, pending: [] as (() => void)[] }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const scrypt = (...args: unknown[]) => {
    const done = args.pop() as (err: Error | null, key: Buffer) => void;
    (actual.scrypt as (...a: unknown[]) => void)(...args, (err: Error | null, key: Buffer) => {
      if (scryptHeld.on) scryptHeld.pending.push(() => done(err, key));
      else done(err, key);
    });
  };
  return { ...actual, scrypt, default: { ...actual, scrypt } };
});

const releaseHashes = () => {
  scryptHeld.on = false;
  scryptHeld.pending.splice(0).forEach((done) => done());
};
afterEach(releaseHashes);

const PINS: Record<string, string> = { 'op-7': '246813', 'op-8': '135792' };
const syncVerify = (id: string, pin: string) => PINS[id] === pin;

const station: ConsoleStation = {
  id: 'bench-1',
  kind: 'bench',
  title: { zh: '查验台 1', en: 'Officer bench 1' },
  view: () => ({ display: { verdict: null, lastCodes: [], weightKg: null, recent: [] }, devices: [], sync: { online: true, backlog: 0, backlogAgeMs: 0, cacheVersion: 1, cacheAgeMs: 0, stale: false }, actions: [] }),
  submit: async () => ({ ok: true }),
  subscribe: () => () => undefined,
};

interface Reply { status: number; headers: IncomingMessage['headers']; json: { code?: string; fields?: { field: string }[]; operatorId?: string } }

/**
 * One request from `from` (any 127.0.0.0/8 address is this host). With `waitForContinue`, the body is held back
 * until `send()`: `continued` resolves once the server has taken the request's head (100 Continue), so a test can
 * line up many requests the server has started before any PIN reaches it.
 */
function request(base: string, path: string, o: { body?: unknown; from?: string; waitForContinue?: boolean } = {}) {
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  let continued!: () => void;
  const continuedP = new Promise<void>((resolve) => (continued = resolve));
  let gotResponse = false;
  const req = httpRequest(new URL(path, base), {
    method: body === undefined ? 'GET' : 'POST',
    agent: false,
    localAddress: o.from,
    headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(o.waitForContinue ? { expect: '100-continue' } : {}) },
  });
  req.on('continue', continued);
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      gotResponse = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text && (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : {} }));
    });
    // A body sent after the server already answered (and closed) is not an error of the test.
    req.on('error', (e) => (gotResponse ? undefined : reject(e)));
  });
  const send = () => req.end(body);
  if (!o.waitForContinue) send();
  return { continued: continuedP, send, reply };
}

const login = (base: string, operatorId: string, pin: string, o: { from?: string; waitForContinue?: boolean } = {}) => request(base, '/api/login', { body: { operatorId, pin }, ...o });

async function withConsole(o: Partial<ConsoleOptions>, run: (base: string) => Promise<void>) {
  const c = await startConsole({ host: '127.0.0.1', port: 0, stations: [station], verifyOperator: syncVerify, ...o });
  try {
    await run(c.url);
  } finally {
    await c.stop();
  }
}

describe('the sign-in limit', () => {
  it('holds for 60 concurrent attempts: the right PIN after 59 wrong ones is refused, and only the allowed few are checked', async () => {
    const checked: string[] = [];
    const verifyOperator = (id: string, pin: string) => (checked.push(pin), syncVerify(id, pin));
    await withConsole({ verifyOperator, loginFailures: { max: 5, windowMs: 60_000 }, maxConcurrentSignIns: 100, now: () => 0 }, async (base) => {
      const wrong = Array.from({ length: 59 }, (_, i) => login(base, 'op-7', String(900_000 + i), { waitForContinue: true }));
      const right = login(base, 'op-7', PINS['op-7']!, { waitForContinue: true });
      // All 60 are on the server before any PIN is sent: a check made at the request's head would pass them all.
      await Promise.all([...wrong, right].map((l) => l.continued));
      wrong.forEach((l) => l.send());
      const replies = await Promise.all(wrong.map((l) => l.reply));
      right.send();
      const r = await right.reply;
      expect([r.status, r.json.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(replies.filter((x) => x.status === 401)).toHaveLength(5);
      expect(replies.filter((x) => x.status === 429 && x.json.code === 'RATE_LIMITED')).toHaveLength(54);
      expect(checked).toHaveLength(5);
      expect(checked).not.toContain(PINS['op-7']);
    });
  });

  it('counts attempts still being checked: with every check pending, the sixth attempt is refused unchecked', async () => {
    const pending: (() => void)[] = [];
    let calls = 0;
    const verifyOperator = (id: string, pin: string) => {
      calls++;
      return new Promise<boolean>((resolve) => pending.push(() => resolve(syncVerify(id, pin))));
    };
    await withConsole({ verifyOperator, loginFailures: { max: 5, windowMs: 60_000 }, maxConcurrentSignIns: 100, now: () => 0 }, async (base) => {
      const wrong = Array.from({ length: 60 }, (_, i) => login(base, i % 2 ? 'op-7' : 'op-8', String(900_000 + i)));
      let answered = 0;
      wrong.forEach((l) => void l.reply.then(() => answered++));
      // Five are being checked (none has failed yet); the other 55 were refused without a check.
      await vi.waitFor(() => expect([pending.length, answered]).toEqual([5, 55]), { timeout: 20_000 });
      const right = await login(base, 'op-7', PINS['op-7']!).reply;
      expect([right.status, right.json.code]).toEqual([429, 'RATE_LIMITED']);
      expect(calls).toBe(5);
      pending.splice(0).forEach((go) => go());
      const replies = await Promise.all(wrong.map((l) => l.reply));
      expect(replies.filter((x) => x.status === 401)).toHaveLength(5);
      expect(replies.filter((x) => x.status === 429)).toHaveLength(55);
      expect(calls).toBe(5);
    });
  });

  it("one operator's success does not clear the failures another made at the same address", async () => {
    let nowMs = 0;
    await withConsole({ loginFailures: { max: 3, windowMs: 60_000 }, now: () => nowMs }, async (base) => {
      expect((await login(base, 'op-8', '000000').reply).status).toBe(401);
      expect((await login(base, 'op-8', '111111').reply).status).toBe(401);
      expect((await login(base, 'op-7', PINS['op-7']!).reply).status).toBe(200);
      expect((await login(base, 'op-8', '222222').reply).status).toBe(401);
      const b = await login(base, 'op-8', PINS['op-8']!).reply;
      expect([b.status, b.json.code]).toEqual([429, 'RATE_LIMITED']);
      // The limit is the address's: three failures there hold every operator at it until they age out.
      expect((await login(base, 'op-7', PINS['op-7']!).reply).status).toBe(429);
      nowMs += 60_001;
      expect((await login(base, 'op-7', PINS['op-7']!).reply).status).toBe(200);
      expect((await login(base, 'op-8', PINS['op-8']!).reply).status).toBe(200);
    });
  });

  it('limits each operator across addresses: guesses spread over many addresses still add up', async () => {
    let nowMs = 0;
    await withConsole({ loginFailures: { max: 3, windowMs: 60_000 }, now: () => nowMs }, async (base) => {
      for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) expect((await login(base, 'op-7', '000000', { from }).reply).status).toBe(401);
      const r = await login(base, 'op-7', PINS['op-7']!, { from: '127.0.0.5' }).reply;
      expect([r.status, r.json.code]).toEqual([429, 'RATE_LIMITED']);
      expect((await login(base, 'op-8', PINS['op-8']!, { from: '127.0.0.5' }).reply).status).toBe(200);
      nowMs += 60_001;
      expect((await login(base, 'op-7', PINS['op-7']!, { from: '127.0.0.5' }).reply).status).toBe(200);
    });
  });

  it('refuses a PIN shorter than the minimum without checking or counting it', async () => {
    let calls = 0;
    const verifyOperator = (id: string, pin: string) => (calls++, syncVerify(id, pin));
    await withConsole({ verifyOperator, loginFailures: { max: 2, windowMs: 60_000 }, now: () => 0 }, async (base) => {
      for (let i = 0; i < 3; i++) {
        const r = await login(base, 'op-7', '1234').reply;
        expect([r.status, r.json.code, r.json.fields?.map((f) => f.field)]).toEqual([400, 'VALIDATION_FAILED', ['pin']]);
      }
      expect(calls).toBe(0);
      expect((await login(base, 'op-7', PINS['op-7']!).reply).status).toBe(200);
    });
    await withConsole({ minPinLength: 4, now: () => 0, verifyOperator: (id, pin) => id === 'op1' && pin === '1234' }, async (base) => {
      expect((await login(base, 'op1', '1234').reply).status).toBe(200);
    });
  });
});

describe('PIN checks off the event loop', () => {
  it('hash in the threadpool, a bounded few at a time, while the console keeps answering', async () => {
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync('246813', salt, 32, { N: 16384, r: 8, p: 1 });
    const verify = operatorVerifier([{ id: 'op-7', pinHash: `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}` }]);
    await withConsole({ verifyOperator: verify, maxConcurrentSignIns: 2, loginFailures: { max: 10, windowMs: 60_000 }, now: () => 0 }, async (base) => {
      scryptHeld.on = true;
      const right = login(base, 'op-7', '246813');
      const wrong = login(base, 'op-7', '999999');
      // Both hashes are in flight (their results held back): the event loop is free, and answers.
      await vi.waitFor(() => expect(scryptHeld.pending).toHaveLength(2), { timeout: 20_000 });
      const me = await request(base, '/api/me').reply;
      expect(me.status).toBe(200);
      // A third check would exceed the bound: refused at once, told when to come back, not counted as a failure.
      const busy = await login(base, 'op-7', '246813').reply;
      expect([busy.status, busy.json.code, busy.headers['retry-after']]).toEqual([429, 'SIGN_IN_BUSY', '1']);
      expect(scryptHeld.pending).toHaveLength(2);
      releaseHashes();
      expect([(await right.reply).status, (await wrong.reply).status]).toEqual([200, 401]);
      expect((await login(base, 'op-7', '246813').reply).status).toBe(200);
    });
  });

  it('an unknown operator costs a hash too (timing does not tell which ids exist); a malformed hash is a wrong PIN', async () => {
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync('246813', salt, 32, { N: 1024, r: 8, p: 1 });
    const verify = operatorVerifier([{ id: 'op-7', pinHash: `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}` }]);
    scryptHeld.on = true;
    const unknown = verify('nobody', '246813');
    await vi.waitFor(() => expect(scryptHeld.pending).toHaveLength(1), { timeout: 20_000 });
    releaseHashes();
    expect(await unknown).toBe(false);
    expect(await verify('op-7', '246813')).toBe(true);
    expect(await verifyPin('246813', 'scrypt$1024$8$1$AAAA')).toBe(false);
    expect(await verifyPin('246813', 'bcrypt$whatever')).toBe(false);
    expect(await operatorVerifier([])('op-7', '246813')).toBe(false);
  });
});
