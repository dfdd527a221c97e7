import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Loading, useAsync } from '../components.tsx';
import { fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';

/** POST /api/bench-tokens (hub/routes/bench-tokens.ts). */
interface Issued {
  token: string;
  qrSvg: string;
  claims: { officer: string; gatewayId: string; stationId: string; issuedAtMs: number; expiresAtMs: number };
}
interface Bench { gatewayId: string; stationId: string }

const benchKey = (b: Bench) => `${b.gatewayId}/${b.stationId}`;

/** An officer gets a bench token for a configured bench, as text and as a QR code the bench's scanner reads. */
export function BenchPage(_props: { route: Route; me: Me }) {
  const benches = useAsync((signal) => api<{ items: Bench[] }>('/api/bench-tokens/benches', { signal }), []);
  const [chosen, setChosen] = useState('');
  const [issued, setIssued] = useState<Issued>();
  const [error, setError] = useState<unknown>();
  const [copied, setCopied] = useState(false);
  const items = benches.data?.items ?? [];
  const selected = items.find((b) => benchKey(b) === chosen) ?? items[0];
  const issue = async (e: Event) => {
    e.preventDefault();
    if (!selected) return;
    setError(undefined);
    setCopied(false);
    try {
      setIssued(await api<Issued>('/api/bench-tokens', { method: 'POST', body: selected }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="page-title" class="bench-page">
      <h1 id="page-title">{t('bench.title')}</h1>
      <p class="muted">{t('bench.intro')}</p>
      {benches.loading ? <Loading /> : null}
      <ErrorBox error={benches.error ?? error} />
      {benches.data && items.length === 0 ? <p>{t('bench.none')}</p> : null}
      {items.length > 0 ? (
        <form class="row" onSubmit={issue}>
          <div>
            <label for="bench-select">{t('bench.bench')}</label>
            <select id="bench-select" value={selected ? benchKey(selected) : ''} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
              {items.map((b) => (
                <option key={benchKey(b)} value={benchKey(b)}>
                  {b.stationId} · {b.gatewayId}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary">
            {t('bench.issue')}
          </button>
        </form>
      ) : null}
      {issued ? (
        <figure class="bench-token">
          <img src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(issued.qrSvg)}`} alt={t('bench.qr.alt', { bench: `${issued.claims.stationId} · ${issued.claims.gatewayId}` })} width={240} height={240} />
          <figcaption>
            <p>
              <strong>{issued.claims.officer}</strong> · {issued.claims.stationId} · {issued.claims.gatewayId} · {t('bench.until', { time: fmtTime(issued.claims.expiresAtMs) })}
            </p>
            <label for="bench-token-text">{t('bench.token')}</label>
            <textarea id="bench-token-text" readOnly rows={4} cols={60} value={issued.token} onFocus={(e) => (e.target as HTMLTextAreaElement).select()} />
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(issued.token).then(() => setCopied(true));
              }}
            >
              {copied ? t('bench.copied') : t('bench.copy')}
            </button>
            <p class="muted">{t('bench.secret')}</p>
          </figcaption>
        </figure>
      ) : null}
    </section>
  );
}
