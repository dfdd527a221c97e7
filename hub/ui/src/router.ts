import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routing (`#/parcels/EA123…`): the hub serves one static page and every route survives a reload or a link
 * pasted into a chat, with no server-side route table to keep in step.
 */
export interface Route {
  /** First path segment, e.g. 'parcels'. */
  page: string;
  /** The rest, decoded. */
  rest: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? 'overview', rest: parts.slice(1), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(page: string, ...rest: string[]): string {
  return `#/${[page, ...rest].map(encodeURIComponent).join('/')}`;
}

export function navigate(page: string, ...rest: string[]): void {
  window.location.hash = href(page, ...rest);
}
