import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { EportClientSim } from '../cli/sim-eport.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { openEportMessageRepo } from '../hub/repos/eport-messages.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import { killAll, spawnNode } from './helpers/processes.ts';

/**
 * The exchange in a separate process SIGKILLed mid-exchange (some messages sent, some answered), while the client
 * simulator answers doubled and reversed and is stopped across the kill; restarted on the same store, every message
 * ends with its receipt and every receipt is recorded once. No timing assertions: the test waits on printed counts.
 */
const CHILD = resolve(import.meta.dirname, 'helpers/eport-hub-child.ts');
const N = 24;
const dir = mkdtempSync(join(tmpdir(), 'bg-eport-kill-'));
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

const counts = (line: string) => JSON.parse(/counts (\{.*\})/.exec(line)![1]!) as Record<string, number>;

it('SIGKILL mid-exchange and a client away: every message sent once in effect, every receipt applied once', async () => {
  const pki = makeTestPki({ nowMs: Date.now() });
  writeFileSync(join(dir, 'key.pem'), pki.signer.privateKeyPem);
  writeFileSync(join(dir, 'cert.pem'), pki.signer.certificatePem);
  const sim = new EportClientSim({ outbox: join(dir, 'OutBox'), inbox: join(dir, 'InBox'), work: join(dir, 'client-sent'), rules: { duplicates: true, outOfOrder: true, maxPerStep: 2 } });
  let stepping = true;
  const loop = (async () => {
    while (stepping) {
      await sim.step();
      await new Promise((r) => setTimeout(r, 15));
    }
  })();

  const first = spawnNode(['--import', 'tsx', CHILD, dir, String(N)], { name: 'eport-hub-1' });
  // Mid-exchange: some receipts in, not all.
  await vi.waitFor(() => {
    const lines = first.output().split('\n').filter((l) => l.startsWith('counts '));
    const c = counts(lines.at(-1) ?? 'counts {"receipt":0}');
    if (!(c.receipt! > 0 && c.receipt! < N)) throw new Error(`not mid-exchange yet: ${lines.at(-1)}\n${first.tail(20)}`);
  }, { timeout: 60_000, interval: 5 });
  sim.goAway();
  first.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');

  const second = spawnNode(['--import', 'tsx', CHILD, dir, String(N)], { name: 'eport-hub-2' });
  await second.waitForOutput(/^counts /m, 60_000);
  sim.comeBack();
  await vi.waitFor(() => {
    const last = second.output().split('\n').filter((l) => l.startsWith('counts ')).at(-1) ?? '';
    if (counts(last).receipt !== N) throw new Error(`not done: ${last}`);
  }, { timeout: 120_000, interval: 50 });
  second.kill('SIGKILL');
  await second.exited;
  stepping = false;
  await loop;

  const storage = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
  const repo = openEportMessageRepo(storage.sql);
  const all = await repo.list({ limit: 100 });
  expect(all).toHaveLength(N);
  const taken = readdirSync(join(dir, 'client-sent')).map((n) => n.replace(/^\d+-/, ''));
  for (const m of all) {
    expect(m.state).toBe('receipt');
    // Once in effect: the client may have taken a message twice only if the kill fell between the rename and the
    // bookkeeping — always the same file (same guid), answered and applied once.
    expect(taken.filter((n) => n === m.fileName).length).toBeGreaterThanOrEqual(1);
    expect((await repo.receipts(m.guid)).map((r) => r.kind).sort()).toEqual(['business', 'transmission']);
  }
  expect(taken.length - N).toBeLessThanOrEqual(1);
  await storage.close();
}, 240_000);
