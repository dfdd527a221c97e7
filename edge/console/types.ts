import type { StationDisplay } from '../../shared/stations/types.ts';
import type { ConsoleInput } from './inputs.ts';

/**
 * The console's contract with the stations it shows and the logger it writes to. Kept apart from server.ts so the
 * view masking and the event feed depend on the contract, not on the HTTP server that uses them (no import cycle).
 */

export interface ConsoleView {
  display: StationDisplay;
  devices: { id: string; kind: string; state: 'up' | 'stale' | 'down' | 'starting' }[];
  sync: { online: boolean; backlog: number; backlogAgeMs: number; cacheVersion: number; cacheAgeMs: number | null; stale: boolean };
  /** Buttons/choices the station offers now (e.g. officer bench: pass / seize / return; gate: manual release). */
  actions: { id: string; zh: string; en: string; key?: string; needsReason?: boolean; tone?: 'go' | 'stop' | 'wait' }[];
}

export interface ConsoleStation {
  id: string;
  kind: 'inspection' | 'gate' | 'warehouse' | 'overseas' | 'bench';
  title: { zh: string; en: string };
  view(): ConsoleView;
  /**
   * operatorId is the logged-in operator; the station records it (a manual release records who and why). At a bench,
   * `officerToken` is the verified bench token of the customs officer signed in there (bench-signin.ts).
   */
  submit(input: ConsoleInput, operatorId: string, ctx?: { officerToken?: string }): Promise<{ ok: boolean; zh?: string; en?: string }>;
  subscribe(onChange: () => void): () => void;
}

/** The few logger methods the console uses (a pino Logger fits). PINs, tokens and scan texts are never passed. */
export interface ConsoleLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
