import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthenticated } from './api.ts';

/** Who is signed in. The token lives in an HttpOnly cookie the page cannot read; /api/me says whose it is. */
export type Role = 'admin' | 'manager' | 'officer' | 'operator';
export interface Me {
  username: string;
  role: Role;
}

let me: Me | null | undefined; // undefined: not asked yet
const listeners = new Set<(m: Me | null) => void>();
const publish = (m: Me | null) => {
  me = m;
  for (const fn of listeners) fn(m);
};
onUnauthenticated(() => publish(null));

export async function loadMe(): Promise<Me | null> {
  try {
    publish(await api<Me>('/api/me'));
  } catch {
    publish(null);
  }
  return me ?? null;
}

export async function login(username: string, password: string): Promise<void> {
  const r = await api<{ username: string; role: Role }>('/api/login', { method: 'POST', body: { username, password } });
  publish({ username: r.username, role: r.role });
}

export async function logout(): Promise<void> {
  await api('/api/logout', { method: 'POST' }).catch(() => undefined);
  publish(null);
}

/** The signed-in user: undefined while asking, null when signed out. */
export function useMe(): Me | null | undefined {
  const [m, set] = useState(me);
  useEffect(() => {
    listeners.add(set);
    if (me === undefined) void loadMe();
    return () => void listeners.delete(set);
  }, []);
  return m;
}
