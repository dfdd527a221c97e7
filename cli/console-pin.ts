import { parseArgs } from 'node:util';
import { EdgeConfig } from '../edge/config.ts';
import { ConsoleConfig } from '../edge/stations/console-adapter.ts';
import { hashPassword } from '../hub/auth/passwords.ts';
import { loadConfigFile } from '../shared/config-file.ts';

/**
 * `bondgate console pin-hash [--config EDGE_FILE] [--min-length N]`: an operator's console PIN in, its scrypt hash
 * (`scrypt$N$r$p$salt$hash`, what `console.operators[].pinHash` holds) out. The PIN comes from standard input only:
 * an argument would stay in the shell history and show in `ps`. On a terminal it is typed twice without echo.
 */
export const PIN_HASH_USAGE = `usage: bondgate console pin-hash [--config EDGE_FILE] [--min-length N]
  reads a console PIN from standard input (on a terminal: typed twice, not shown; from a pipe: the first line) and
  prints its scrypt hash for the edge config (console.operators[].pinHash). The PIN is never an argument.
  The minimum length is the edge config's console.minPinLength (default ${ConsoleConfig.parse({}).minPinLength}), or --min-length when larger.`;

/** The console's own limit on a PIN (edge/console/inputs.ts LoginBody). */
const MAX_PIN_CHARS = 64;

export interface PinHashIo {
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Pure: why this PIN cannot be used at a console with this minimum length, or undefined. */
export function pinRefusal(pin: string, minLength: number): string | undefined {
  const n = [...pin].length;
  if (n === 0) return 'no PIN was given on standard input';
  if (n < minLength) return `a PIN has at least ${minLength} characters (console.minPinLength); this one has ${n}`;
  if (n > MAX_PIN_CHARS) return `a PIN has at most ${MAX_PIN_CHARS} characters`;
  // Nobody can type these at the console's PIN field; a stray one came from the pipe.
  if ([...pin].some((c) => { const cp = c.codePointAt(0)!; return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); })) return 'a PIN must not contain control characters';
  if (pin.trim() !== pin) return 'a PIN must not start or end with a space';
  return undefined;
}

/** The first line of a piped stdin (without its line ending); the rest is not read. */
async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
    if (text.length > 4096) break;
  }
  return text.replace(/\r?\n?$/, '');
}

/**
 * Lines typed at a terminal in raw mode, nothing echoed: raw from before the first prompt (keys typed as soon as it
 * shows are not echoed by the terminal) until `close`. Keys typed ahead (both PINs in one read) are kept for the next
 * line. Ctrl+C and Ctrl+D give up.
 */
function secretLines(stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream) {
  let pending = '';
  stdin.setRawMode(true);
  const ask = (prompt: string): Promise<string> =>
    new Promise((resolve, reject) => {
      let line = '';
      const take = (text: string) => {
        const chars = [...text];
        for (let i = 0; i < chars.length; i++) {
          const ch = chars[i]!;
          if (ch === '\r' || ch === '\n') return finish(chars.slice(i + 1).join(''));
          if (ch === '\u0003' || ch === '\u0004') return finish('', new Error('cancelled'));
          if (ch === '\u007f' || ch === '\b') line = [...line].slice(0, -1).join('');
          else line += ch;
        }
      };
      const onData = (chunk: Buffer | string) => take(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      const finish = (rest: string, err?: Error) => {
        // A CR LF pair is one Enter.
        pending = rest.startsWith('\n') ? rest.slice(1) : rest;
        stdin.off('data', onData);
        stdin.pause();
        stderr.write('\n');
        if (err) reject(err);
        else resolve(line);
      };
      stdin.on('data', onData);
      stdin.resume();
      stderr.write(prompt);
      const ahead = pending;
      pending = '';
      if (ahead) take(ahead);
    });
  return { ask, close: () => stdin.setRawMode(false) };
}

/** The PIN typed twice at a terminal; undefined (after saying why) when it is refused or the two differ. */
async function typedPin(stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream, minLength: number): Promise<string | undefined> {
  const terminal = secretLines(stdin, stderr);
  try {
    const pin = await terminal.ask(`PIN (at least ${minLength} characters, not shown): `);
    const refusal = pinRefusal(pin, minLength);
    if (refusal) return void stderr.write(`bondgate: ${refusal}\n`);
    if ((await terminal.ask('the same PIN again: ')) !== pin) return void stderr.write('bondgate: the two PINs differ; nothing printed\n');
    return pin;
  } finally {
    terminal.close();
  }
}

export async function runPinHash(argv: string[], io: PinHashIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, 'min-length': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(`${PIN_HASH_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    io.stderr.write(`bondgate: the PIN is never taken from the command line (shell history, ps): type it, or pipe it on standard input\n${PIN_HASH_USAGE}\n`);
    return 2;
  }
  let minLength = values.config ? (loadConfigFile(EdgeConfig, values.config).console?.minPinLength ?? ConsoleConfig.parse({}).minPinLength) : ConsoleConfig.parse({}).minPinLength;
  if (values['min-length'] !== undefined) {
    const n = Number(values['min-length']);
    if (!Number.isInteger(n) || n < 4 || n > MAX_PIN_CHARS) {
      io.stderr.write(`bondgate: --min-length must be a whole number from 4 to ${MAX_PIN_CHARS}\n`);
      return 2;
    }
    minLength = Math.max(minLength, n);
  }

  const stdin = io.stdin as NodeJS.ReadStream;
  let pin: string | undefined;
  if (stdin.isTTY) {
    pin = await typedPin(stdin, io.stderr, minLength);
  } else {
    pin = await firstLine(io.stdin);
    const refusal = pinRefusal(pin, minLength);
    if (refusal) {
      io.stderr.write(`bondgate: ${refusal}\n`);
      pin = undefined;
    }
  }
  if (pin === undefined) return 1;
  io.stdout.write(`${await hashPassword(pin)}\n`);
  io.stderr.write('Put it in the edge config: console: { operators: [ { id: OPERATOR-ID, pinHash: "<the hash above>" } ] }\n');
  return 0;
}
