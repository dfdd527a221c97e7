/**
 * The dashboard's one way to the hub: same-origin fetch with the session cookie (HttpOnly, SameSite=Strict, set by
 * POST /api/login), JSON in and out, the hub's error shape ({code, message, fields}) turned into an ApiError.
 */
export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldIssue[] = [],
    /** Why, as a code with parameters (shared/reason-codes.ts): a screen says it in its reader's language. */
    readonly reason?: { code: string; params?: Record<string, unknown> },
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthenticated = new Set<Listener>();
/** Called when any request comes back 401 (session expired): the app shows the login page again. */
export function onUnauthenticated(fn: Listener): () => void {
  unauthenticated.add(fn);
  return () => unauthenticated.delete(fn);
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (json ?? {}) as { code?: string; message?: string; fields?: FieldIssue[]; reason?: { code: string; params?: Record<string, unknown> } };
    if (res.status === 401 && !path.startsWith('/api/login')) for (const fn of unauthenticated) fn();
    throw new ApiError(res.status, e.code ?? 'HTTP_ERROR', e.message ?? `HTTP ${res.status}`, e.fields ?? [], e.reason);
  }
  return json as T;
}

/** Query string from an object, leaving out empty values; arrays become comma lists. */
export function qs(params: Record<string, string | number | boolean | readonly string[] | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Server-Sent Events with reconnection (the browser's EventSource reconnects by itself; we only parse and route).
 * Returns a closer.
 */
export function subscribe(path: string, handlers: Record<string, (data: unknown) => void>, onState?: (open: boolean) => void): () => void {
  const es = new EventSource(path, { withCredentials: true });
  for (const [event, fn] of Object.entries(handlers)) es.addEventListener(event, (m) => fn(JSON.parse((m as MessageEvent<string>).data)));
  es.onopen = () => onState?.(true);
  es.onerror = () => onState?.(false);
  return () => es.close();
}
