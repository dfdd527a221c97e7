import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Is socat on this machine? (Debian package `socat`; .ci/run installs it.) */
export function socatAvailable(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'socat')));
}

/**
 * A pseudo-terminal pair joined by socat: what a device writes to `device` the driver reads from `host`, and back.
 * Real serial semantics (termios, the kernel tty layer) without hardware.
 */
export async function startPtyPair(atDir?: string): Promise<{ device: string; host: string; dir: string; close(): Promise<void> }> {
  // Reusing a directory re-creates the same link paths: a device plugged in again where it was.
  const dir = atDir ?? mkdtempSync(join(tmpdir(), 'bg-pty-'));
  const device = join(dir, 'device');
  const host = join(dir, 'host');
  // socat refuses to replace links a previous pair left behind.
  rmSync(device, { force: true });
  rmSync(host, { force: true });
  const child = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 5000;
  while (!(existsSync(device) && existsSync(host))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`socat did not create the pty pair: ${stderr.trim() || `exit ${child.exitCode}`}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    device,
    host,
    dir,
    close: async () => {
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      child.kill('SIGTERM');
      await exited;
      if (!atDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
