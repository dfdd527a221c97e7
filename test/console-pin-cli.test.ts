import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runPinHash } from '../cli/console-pin.ts';
import { operatorVerifier } from '../edge/stations/console-adapter.ts';
import { requireService } from './helpers/services.ts';

/**
 * `bondgate console pin-hash`, as an operator's installer runs it: a separate process, the PIN on standard input
 * (a pipe, or a terminal through util-linux `script`), the hash on stdout, checked by the console's own verifier.
 */
const CLI = resolve(import.meta.dirname, '../bin/bondgate.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bg-pin-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

interface Run { code: number | null; stdout: string; stderr: string }
function run(args: string[], stdin: string): Promise<Run> {
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, [CLI, 'console', 'pin-hash', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('error', fail);
    c.on('close', (code) => done({ code, stdout, stderr }));
    c.stdin.end(stdin);
  });
}

const edgeConfig = (minPinLength: number) => {
  const f = join(dir, `edge-${minPinLength}.json`);
  writeFileSync(f, JSON.stringify({ gatewayId: 'GW-PIN', dataDir: join(dir, 'edge'), hub: { mqttUrl: 'mqtt://127.0.0.1:1', password: 'unused' }, console: { minPinLength } }));
  return f;
};

describe('bondgate console pin-hash', () => {
  it('hashes a piped PIN into what the console checks at sign-in, and never prints the PIN', async () => {
    const r = await run([], '482913\nnot read\n');
    expect(r.code).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(HASH);
    expect(r.stdout + r.stderr).not.toContain('482913');
    const verify = operatorVerifier([{ id: 'op7', pinHash: hash }]);
    expect(await verify('op7', '482913')).toBe(true);
    expect(await verify('op7', '482914')).toBe(false);
  }, 60_000);

  // In-process from here (each spawn loads the whole CLI): the same function, stdin a pipe.
  const inProcess = async (args: string[], stdin: string) => {
    let stdout = '';
    let stderr = '';
    const sink = (add: (s: string) => void) => new Writable({ write: (chunk: Buffer, _enc, done) => void (add(chunk.toString()), done()) });
    const code = await runPinHash(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) });
    return { code, stdout, stderr };
  };

  it('refuses a PIN the console would refuse unchecked: shorter than console.minPinLength (6 by default, or the config)', async () => {
    let r = await inProcess([], '12345\n');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/at least 6 characters \(console\.minPinLength\)/);

    const strict = edgeConfig(8);
    r = await inProcess(['--config', strict], '1234567\n');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/at least 8 characters/);
    r = await inProcess(['--config', strict], '12345678\n');
    expect(r.code).toBe(0);
    expect(await operatorVerifier([{ id: 'op1', pinHash: r.stdout.trim() }])('op1', '12345678')).toBe(true);
    // --min-length only ever raises the config's minimum.
    expect((await inProcess(['--config', strict, '--min-length', '4'], '1234567\n')).code).toBe(1);
    expect((await inProcess(['--min-length', '10'], '123456789\n')).code).toBe(1);
    expect((await inProcess(['--min-length', '3'], '123456\n')).code).toBe(2);

    expect(await inProcess([], '')).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/no PIN was given/) });
    expect((await inProcess([], ' 123456\n')).stderr).toMatch(/must not start or end with a space/);
    expect((await inProcess([], '123\u0007456\n')).stderr).toMatch(/control characters/);
    expect((await inProcess([], `${'7'.repeat(65)}\n`)).stderr).toMatch(/at most 64 characters/);
    // A CR LF line ending (a Windows pipe) is not part of the PIN.
    r = await inProcess([], '735102\r\n');
    expect(await operatorVerifier([{ id: 'op8', pinHash: r.stdout.trim() }])('op8', '735102')).toBe(true);
  }, 30_000);

  it('never takes the PIN from the command line', async () => {
    const r = await run(['482913'], '');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/never taken from the command line/);
  }, 60_000);

  const script = requireService('util-linux script (a pseudo-terminal for the typed PIN)', existsSync('/usr/bin/script'));
  /** The CLI on a pseudo-terminal: each answer is typed once the prompt before it has shown. */
  function typed(answers: string[]): Promise<{ code: number | null; screen: string }> {
    return new Promise((done, fail) => {
      const c = spawn('/usr/bin/script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} console pin-hash`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      let prompts = 0;
      c.stdout.setEncoding('utf8').on('data', (d: string) => {
        screen += d;
        const shown = (screen.match(/not shown\): |again: /g) ?? []).length;
        while (prompts < shown && prompts < answers.length) c.stdin.write(answers[prompts++]!);
      });
      c.on('error', fail);
      c.on('close', (code) => done({ code, screen }));
    });
  }

  it.skipIf(!script)('on a terminal: asks twice, echoes nothing, prints the hash', async () => {
    const r = await typed(['60x\x7f0718\r', '600718\r']); // a typo taken back with Backspace
    expect(r.code).toBe(0);
    const hash = /scrypt\$\S+/.exec(r.screen)![0];
    expect(r.screen.replace(hash, '')).not.toMatch(/6007|0718|60x/);
    expect(await operatorVerifier([{ id: 'op9', pinHash: hash }])('op9', '600718')).toBe(true);
  }, 60_000);

  it.skipIf(!script)('on a terminal: two different PINs print nothing', async () => {
    const r = await typed(['600718\r', '600719\r']);
    expect(r.code).toBe(1);
    expect(r.screen).toMatch(/the two PINs differ/);
    expect(r.screen).not.toMatch(/scrypt\$/);
  }, 60_000);
});
