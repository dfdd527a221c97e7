import type { ServerResponse } from 'node:http';
import type { ConsoleStation } from './types.ts';

/** A client that stopped reading (a frozen tab) is cut off past this much unsent data; it reconnects to a fresh view. */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface FeedOptions {
  /** At most one push per this interval: a burst of station changes becomes one view (the latest). */
  coalesceMs: number;
  /** A fresh view (or a ping when nothing changed) this often, so ages and staleness move and dead links show. */
  heartbeatMs: number;
  /** The view as the page gets it (masked), serialised. */
  render(station: ConsoleStation): string;
  onError(err: unknown): void;
}

/**
 * Server-Sent Events for one station: subscribes to the station while at least one page listens, renders the
 * view once per push and writes it to every page (`event: view`), and pings between changes (`event: ping`).
 */
export class StationFeed {
  private readonly clients = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private lastPushMs = -Infinity;
  private lastJson = '';

  constructor(private readonly station: ConsoleStation, private readonly o: FeedOptions) {}

  add(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // A reverse proxy must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    this.clients.add(res);
    res.on('close', () => this.remove(res));
    if (!this.unsubscribe) {
      this.unsubscribe = this.station.subscribe(() => this.changed());
      this.heartbeat = setInterval(() => this.push(true), this.o.heartbeatMs);
      this.heartbeat.unref();
    }
    const json = this.render();
    // `hello` tells the page how often to expect a frame, so it can tell a dead link from a quiet station.
    res.write(`retry: 2000\n\nevent: hello\ndata: ${JSON.stringify({ heartbeatMs: this.o.heartbeatMs })}\n\n`);
    if (json !== undefined) res.write(`event: view\ndata: ${json}\n\n`);
  }

  get listeners(): number {
    return this.clients.size;
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stopWatching();
  }

  private remove(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stopWatching();
  }

  private stopWatching(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.pending);
    this.heartbeat = this.pending = undefined;
  }

  private changed(): void {
    if (this.pending || !this.unsubscribe) return;
    // Leading edge after a quiet spell (setTimeout 0 still folds a synchronous burst), then at most every coalesceMs.
    const waitMs = Math.max(0, this.lastPushMs + this.o.coalesceMs - performance.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.push(false);
    }, waitMs);
  }

  private push(heartbeat: boolean): void {
    const json = this.render();
    if (json === undefined) return;
    let frame: string;
    if (json !== this.lastJson) {
      frame = `event: view\ndata: ${json}\n\n`;
      this.lastJson = json;
      this.lastPushMs = performance.now();
    } else if (heartbeat) frame = `event: ping\ndata: ${Date.now()}\n\n`;
    else return;
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      else res.write(frame);
    }
  }

  private render(): string | undefined {
    try {
      return this.o.render(this.station);
    } catch (e) {
      this.o.onError(e);
      return undefined;
    }
  }
}
