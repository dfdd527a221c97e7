import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { makePrivate } from '../../shared/private-files.ts';

/**
 * The e-port card PIN is a secret (shared/domain/eport.md §1): it comes from a file readable by its owner only or
 * from an environment variable, never from the config file itself, and it is never logged. It is held in a `Secret`
 * whose every printable form (String(), JSON, util.inspect — what pino and console use) is "[redacted]", so an
 * object that carries it by mistake still does not print it; `reveal()` is called in one place, the sign frame.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export type PinSource = { pinFile: string } | { pinEnv: string };

/**
 * Read the PIN. A file is made 0600 when this process owns it (as shared/private-files.ts does with keys); one
 * another user owns that others may read is refused: the PIN would be readable by them. One trailing newline is
 * dropped (an editor's). Errors name the file or variable, never the value.
 */
export function loadPin(source: PinSource, env: NodeJS.ProcessEnv = process.env): Secret {
  let raw: string;
  if ('pinFile' in source) {
    const file = source.pinFile;
    let mode: number;
    try {
      if (statSync(file).uid === process.getuid?.()) makePrivate(file);
      mode = statSync(file).mode;
    } catch (e) {
      throw new Error(`the e-port card PIN file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if ((mode & 0o077) !== 0) throw new Error(`the e-port card PIN file ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
    raw = readFileSync(file, 'utf8');
  } else {
    const v = env[source.pinEnv];
    if (v === undefined) throw new Error(`the e-port card PIN environment variable ${source.pinEnv} is not set`);
    raw = v;
  }
  const pin = raw.replace(/\r?\n$/, '');
  if (pin === '') throw new Error(`the e-port card PIN (${'pinFile' in source ? source.pinFile : source.pinEnv}) is empty`);
  return new Secret(pin);
}
