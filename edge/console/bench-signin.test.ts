import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBenchToken, type BenchTokenClaims } from '../../shared/bench-token.ts';
import { generateJournalKeys } from '../../shared/journal-chain.ts';
import { benchStation } from '../stations/inspection-station.ts';
import { startConsole, type ConsoleInput, type ConsoleStation, type ConsoleView } from './server.ts';

/**
 * Issue 13 item 1 at the edge: a customs officer signs in at a bench with a bench token the hub issued; the console
 * checks it with the hub's rules public key (signature, this gateway, this bench, not expired) and the bench attaches
 * it to each finding. A forged or foreign token is refused; the operator's PIN session stays who pressed the button.
 */
const hubKey = generateJournalKeys();
const HOUR = 3600_000;
let nowMs = 1_800_000_000_000;
const claims = (over: Partial<BenchTokenClaims> = {}): BenchTokenClaims => ({ v: 1, officer: 'officer-1', gatewayId: 'GW-1', stationId: 'BENCH-1', issuedAtMs: nowMs - 60_000, expiresAtMs: nowMs + 12 * HOUR, ...over });

function fakeStation(id: string, kind: ConsoleStation['kind']) {
  const submitted: { input: ConsoleInput; operatorId: string; ctx: { officerToken?: string } | undefined }[] = [];
  const view: ConsoleView = {
    display: { verdict: null, lastCodes: [], weightKg: null, recent: [] },
    devices: [],
    sync: { online: true, backlog: 0, backlogAgeMs: 0, cacheVersion: 1, cacheAgeMs: 0, stale: false },
    actions: [{ id: 'pass', zh: '通过', en: 'Pass', key: 'F1', tone: 'go' }],
  };
  const station: ConsoleStation = {
    id,
    kind,
    title: { zh: id, en: id },
    view: () => view,
    async submit(input, operatorId, ctx) {
      submitted.push({ input, operatorId, ctx });
      return { ok: true };
    },
    subscribe: () => () => undefined,
  };
  return { station, submitted };
}

describe('bench officer sign-in at the console', () => {
  const bench = fakeStation('BENCH-1', 'bench');
  const gate = fakeStation('GATE-1', 'gate');
  const lines: string[] = [];
  const push = (obj: object, msg: string) => lines.push(JSON.stringify({ ...obj, msg }));
  let base = '';
  let cookie = '';
  let stop: () => Promise<void>;
  const call = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: (await res.json().catch(() => null)) as { officer?: string | null; expiresAtMs?: number; code?: string; fields?: { field: string; message: string }[] } };
  };

  beforeAll(async () => {
    const c = await startConsole({
      host: '127.0.0.1',
      port: 0,
      stations: [bench.station, gate.station],
      verifyOperator: (id, pin) => id === 'op-7' && pin === '246813',
      bench: { gatewayId: 'GW-1', publicKeyPem: hubKey.publicKeyPem },
      log: { info: push, warn: push, error: push },
      now: () => nowMs,
    });
    base = c.url;
    stop = c.stop;
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operatorId: 'op-7', pin: '246813' }) });
    cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
  });
  afterAll(() => stop?.());

  it('refuses forged, foreign and expired tokens, and sign-in without an operator session', async () => {
    const bad: [string, string][] = [
      [signBenchToken(claims(), generateJournalKeys().privateKeyPem), 'bad_signature'],
      [signBenchToken(claims({ gatewayId: 'GW-2' }), hubKey.privateKeyPem), 'wrong_gateway'],
      [signBenchToken(claims({ stationId: 'BENCH-2' }), hubKey.privateKeyPem), 'wrong_station'],
      [signBenchToken(claims({ issuedAtMs: nowMs - 13 * HOUR, expiresAtMs: nowMs - HOUR }), hubKey.privateKeyPem), 'expired'],
      ['not-a-token', 'malformed'],
    ];
    for (const [token, why] of bad) {
      const r = await call('/station/BENCH-1/officer', { token });
      expect(r.status).toBe(400);
      expect(r.json.fields).toEqual([{ field: 'token', message: why }]);
    }
    expect((await call('/station/BENCH-1/officer')).json).toEqual({ officer: null });
    const good = signBenchToken(claims(), hubKey.privateKeyPem);
    const anon = await fetch(`${base}/station/BENCH-1/officer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: good }) });
    expect(anon.status).toBe(401);
    // Only a bench has an officer.
    expect((await call('/station/GATE-1/officer', { token: good })).status).toBe(404);
    // A finding with nobody signed in carries no token.
    await call('/station/BENCH-1/submit', { kind: 'action', id: 'pass' });
    expect(bench.submitted.at(-1)).toEqual({ input: { kind: 'action', id: 'pass' }, operatorId: 'op-7', ctx: undefined });
  });

  it('accepts a valid token, attaches it to bench findings until sign-out or expiry, and never logs it', async () => {
    const token = signBenchToken(claims(), hubKey.privateKeyPem);
    const r = await call('/station/BENCH-1/officer', { token });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ officer: 'officer-1', expiresAtMs: nowMs + 12 * HOUR });
    expect((await call('/station/BENCH-1/officer')).json.officer).toBe('officer-1');

    await call('/station/BENCH-1/submit', { kind: 'action', id: 'pass' });
    expect(bench.submitted.at(-1)).toEqual({ input: { kind: 'action', id: 'pass' }, operatorId: 'op-7', ctx: { officerToken: token } });
    // A client cannot slip a token of its own into a submit.
    expect((await call('/station/GATE-1/submit', { kind: 'action', id: 'pass', officerToken: token })).status).toBe(400);
    await call('/station/GATE-1/submit', { kind: 'action', id: 'pass' });
    expect(gate.submitted.at(-1)!.ctx).toBeUndefined();

    // Expiry ends the sign-in.
    nowMs += 12 * HOUR;
    expect((await call('/station/BENCH-1/officer')).json).toEqual({ officer: null });
    await call('/station/BENCH-1/submit', { kind: 'action', id: 'pass' });
    expect(bench.submitted.at(-1)!.ctx).toBeUndefined();

    // Sign-out.
    const fresh = signBenchToken(claims(), hubKey.privateKeyPem);
    expect((await call('/station/BENCH-1/officer', { token: fresh })).status).toBe(200);
    expect((await call('/station/BENCH-1/officer/signout', {})).json).toEqual({ officer: null });
    await call('/station/BENCH-1/submit', { kind: 'action', id: 'pass' });
    expect(bench.submitted.at(-1)!.ctx).toBeUndefined();

    const logged = lines.join('\n');
    expect(logged).toContain('bench officer signed in');
    for (const t of [token, fresh]) expect(logged).not.toContain(t.split('.')[1]);
  });

  it('the bench station puts the verified token on the officer.action it records, beside the operator', () => {
    const def = benchStation({ kind: 'bench', id: 'BENCH-1', bench: { benchId: 'BENCH-1' }, devices: { scanners: [] } });
    expect(def.consoleInput!({ kind: 'action', id: 'seize', reason: 'batteries' }, 'op-7', { officerToken: 'T' })).toEqual({ kind: 'action', action: 'seize', officerId: 'op-7', reason: 'batteries', officerToken: 'T' });
    expect(def.consoleInput!({ kind: 'action', id: 'pass' }, 'op-7')).toEqual({ kind: 'action', action: 'pass', officerId: 'op-7' });
  });
});
