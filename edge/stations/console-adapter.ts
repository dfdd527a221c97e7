import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { cacheIsStale } from '../../shared/stations/types.ts';
import type { ConsoleStation, ConsoleView } from '../console/types.ts';
import type { EdgeDevices } from '../devices.ts';
import type { EdgeJournal } from '../journal.ts';
import type { StationCache } from '../station-cache.ts';
import type { SyncClient } from '../sync.ts';
import type { StationRunner } from './runtime.ts';

/** The operators who may act at this gateway's consoles: id and a scrypt PIN hash (`bondgate` hashes, as on the hub). */
export const ConsoleConfig = z.object({
  host: z.string().default('127.0.0.1').describe('address the station consoles listen on (a lane PC on the LAN: its LAN address)'),
  port: z.number().int().min(0).max(65535).default(8088),
  operators: z.array(z.object({ id: z.string().min(1).max(64), pinHash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/, 'scrypt$N$r$p$salt$hash') })).default([]),
  minPinLength: z.number().int().min(4).max(64).default(6).describe('PINs shorter than this are refused at sign-in (give operators PINs at least this long)'),
});
export type ConsoleConfig = z.output<typeof ConsoleConfig>;

function scryptAsync(pin: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(pin, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/**
 * Constant-time PIN check against `scrypt$N$r$p$salt$hash` (hub/auth/passwords.ts format). The hash runs in libuv's
 * threadpool (async scrypt), never on the event loop the journal, sync and stations share.
 */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(pin, Buffer.from(parts[4]!, 'base64'), expected.length, { N: n!, r: r!, p: p!, maxmem: 64 * 1024 * 1024 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * The console's `verifyOperator` for these operators. An unknown id is hashed against a configured operator's hash
 * (and refused whatever the result), so it takes as long as a known one and the timing does not tell which ids exist.
 */
export function operatorVerifier(operators: { id: string; pinHash: string }[]): (id: string, pin: string) => Promise<boolean> {
  const hashes = new Map(operators.map((op) => [op.id, op.pinHash]));
  const decoy = operators[0]?.pinHash;
  return async (id, pin) => {
    const hash = hashes.get(id);
    if (hash !== undefined) return verifyPin(pin, hash);
    if (decoy !== undefined) await verifyPin(pin, decoy);
    return false;
  };
}

const TITLES: Record<string, { zh: string; en: string }> = {
  inspection: { zh: '查验线', en: 'Inspection line' },
  bench: { zh: '人工查验台', en: 'Manual inspection bench' },
  gate: { zh: '卡口', en: 'Gate lane' },
  warehouse: { zh: '保税仓', en: 'Bonded warehouse' },
  overseas: { zh: '海外仓', en: 'Overseas warehouse' },
};

/** Each running station as the console sees it: its display, devices, sync state, actions and input. */
export function consoleStations(runners: StationRunner<unknown, unknown>[], o: { devices: EdgeDevices | undefined; sync: SyncClient; journal: EdgeJournal; cache: StationCache; deviceIds: Map<string, string[]>; now?: () => number }): ConsoleStation[] {
  const now = o.now ?? Date.now;
  return runners.map((r) => ({
    id: r.id,
    kind: r.def.kind as ConsoleStation['kind'],
    title: { zh: `${TITLES[r.def.kind]?.zh ?? r.def.kind} ${r.id}`, en: `${TITLES[r.def.kind]?.en ?? r.def.kind} ${r.id}` },
    view(): ConsoleView {
      const t = now();
      const mine = new Set(o.deviceIds.get(r.id) ?? []);
      const b = o.journal.backlog();
      return {
        display: r.display(),
        devices: (o.devices?.status() ?? []).filter((d) => mine.has(d.id)).map((d) => ({ id: d.id, kind: d.kind, state: d.state })),
        sync: {
          online: o.sync.state.connected,
          backlog: b.count,
          backlogAgeMs: b.oldestWallMs ? Math.max(0, t - b.oldestWallMs) : 0,
          cacheVersion: o.cache.version,
          cacheAgeMs: o.cache.syncedAtMs === null ? null : t - o.cache.syncedAtMs,
          stale: cacheIsStale(o.cache, o.cache.rules(t), t),
        },
        actions: r.def.actions?.(r.current) ?? [],
      };
    },
    async submit(input, operatorId, ctx) {
      const i = r.def.consoleInput?.(input, operatorId, ctx);
      if (i === undefined) return { ok: false, zh: '此站不接受该输入', en: 'Not accepted at this station' };
      for (const one of Array.isArray(i) ? i : [i]) await r.input(one);
      return { ok: true };
    },
    subscribe(onChange) {
      return r.subscribe(onChange);
    },
  }));
}
