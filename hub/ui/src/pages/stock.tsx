import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, MoreButton, useAsync } from '../components.tsx';
import { fmtNumber, fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';
import './stock.css';

const STATES = ['non_bonded', 'bonded', 'list_applied', 'slip_applied', 'written_off'] as const;
type CustomsState = (typeof STATES)[number];

/** GET /api/stock/states (hub/services/stock-states.ts). */
interface StockRow {
  site: string; warehouse: 'bonded' | 'overseas'; sku: string; locationId: string; bucket: 'sellable' | 'quarantine'; qty: number; updatedMs: number;
  state: CustomsState; rule: string; listId: string | null;
}
interface StockPage { items: StockRow[]; nextCursor: string | null; totals: Record<CustomsState, number>; unresolvedQty: number }
interface Anomaly { site: string; transactionId: string; kind: string; sku: string | null; locationId: string | null; haveQty: number; wantedQty: number; detail: string; atMs: number }

interface Filters { site: string; warehouse: string; sku: string; state: string }
const EMPTY: Filters = { site: '', warehouse: '', sku: '', state: '' };

/** A customs state as a pill: its own colour (stock.css) and always its word. */
function StatePill({ state }: { state: CustomsState }) {
  return <span class={`pill st-${state}`}>{t(`stock.state.${state}`)}</span>;
}

export function StockPage(_props: { route: Route; me: Me }) {
  const [tab, setTab] = useState<'levels' | 'anomalies'>('levels');
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const field = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  return (
    <section aria-labelledby="page-title" class="stock-page">
      <h1 id="page-title">{t('stock.title')}</h1>
      <form
        class="row filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...draft, site: draft.site.trim(), sku: draft.sku.trim() });
        }}
      >
        <div>
          <label for="stock-site">{t('stock.filter.site')}</label>
          <input id="stock-site" value={draft.site} onInput={field('site')} size={12} />
        </div>
        <div>
          <label for="stock-warehouse">{t('stock.filter.warehouse')}</label>
          <select id="stock-warehouse" value={draft.warehouse} onChange={field('warehouse')}>
            <option value="">{t('stock.filter.all')}</option>
            <option value="bonded">{t('stock.wh.bonded')}</option>
            <option value="overseas">{t('stock.wh.overseas')}</option>
          </select>
        </div>
        <div>
          <label for="stock-sku">{t('stock.filter.sku')}</label>
          <input id="stock-sku" value={draft.sku} onInput={field('sku')} size={14} />
        </div>
        <div>
          <label for="stock-state">{t('stock.filter.state')}</label>
          <select id="stock-state" value={draft.state} onChange={field('state')}>
            <option value="">{t('stock.filter.all')}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`stock.state.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary">
          {t('action.search')}
        </button>
        <button type="button" onClick={() => (setDraft(EMPTY), setFilters(EMPTY))}>
          {t('action.reset')}
        </button>
      </form>
      <div role="tablist" aria-label={t('stock.title')}>
        {(['levels', 'anomalies'] as const).map((id) => (
          <button type="button" role="tab" key={id} id={`tab-${id}`} aria-selected={tab === id} aria-controls={`panel-${id}`} onClick={() => setTab(id)}>
            {t(`stock.tab.${id}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'levels' ? <Levels f={filters} /> : <Anomalies f={filters} />}
      </div>
    </section>
  );
}

function Levels({ f }: { f: Filters }) {
  const query = { site: f.site, warehouse: f.warehouse, sku: f.sku, state: f.state, limit: 100 };
  const first = useAsync((signal) => api<StockPage>(`/api/stock/states${qs(query)}`, { signal }), [f.site, f.warehouse, f.sku, f.state]);
  const [more, setMore] = useState<StockRow[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setMore([]);
    setCursor(undefined);
  }, [first.data]);
  const next = cursor === undefined ? (first.data?.nextCursor ?? null) : cursor;
  const loadMore = async () => {
    if (!next) return;
    const p = await api<StockPage>(`/api/stock/states${qs({ ...query, cursor: next })}`);
    setMore((m) => [...m, ...p.items]);
    setCursor(p.nextCursor);
  };
  if (first.error) return <ErrorBox error={first.error} />;
  if (!first.data) return <Loading />;
  const rows = [...first.data.items, ...more];
  return (
    <>
      <h2 id="totals-title">{t('stock.totals')}</h2>
      <div class="grid" role="list" aria-labelledby="totals-title">
        {STATES.map((s) => (
          <div class="figure st" role="listitem" key={s} data-state={s}>
            <div class="value">{fmtNumber(first.data!.totals[s])}</div>
            <div class="label">
              <StatePill state={s} />
            </div>
          </div>
        ))}
      </div>
      {first.data.unresolvedQty > 0 ? <p class="muted">{t('stock.unresolved', { n: fmtNumber(first.data.unresolvedQty) })}</p> : null}
      {rows.length === 0 ? (
        <Empty />
      ) : (
        <div class="table-wrap" style={{ marginTop: '12px' }}>
          <table class="stock">
            <thead>
              <tr>
                <th scope="col">{t('stock.col.sku')}</th>
                <th scope="col">{t('stock.col.site')}</th>
                <th scope="col">{t('stock.col.warehouse')}</th>
                <th scope="col">{t('stock.col.location')}</th>
                <th scope="col">{t('stock.col.bucket')}</th>
                <th scope="col" class="num">{t('stock.col.qty')}</th>
                <th scope="col">{t('stock.col.state')}</th>
                <th scope="col">{t('stock.col.list')}</th>
                <th scope="col">{t('stock.col.updated')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.site}|${r.warehouse}|${r.sku}|${r.locationId}|${r.bucket}`} data-state={r.state}>
                  <th scope="row">{r.sku}</th>
                  <td>{r.site}</td>
                  <td>{t(`stock.wh.${r.warehouse}`)}</td>
                  <td>{r.locationId}</td>
                  <td>{t(`stock.bucket.${r.bucket}`)}</td>
                  <td class="num">{fmtNumber(r.qty)}</td>
                  <td>
                    <StatePill state={r.state} />
                    <div class="muted rule">{t(`stock.rule.${r.rule}`)}</div>
                  </td>
                  <td>{r.listId ?? '—'}</td>
                  <td>{fmtTime(r.updatedMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton next={next} onMore={loadMore} />
    </>
  );
}

function Anomalies({ f }: { f: Filters }) {
  const a = useAsync((signal) => api<{ items: Anomaly[] }>(`/api/stock/anomalies${qs({ site: f.site, sku: f.sku, limit: 200 })}`, { signal }), [f.site, f.sku]);
  if (a.error) return <ErrorBox error={a.error} />;
  if (!a.data) return <Loading />;
  if (a.data.items.length === 0) return <Empty />;
  return (
    <div class="table-wrap">
      <table class="anomalies">
        <thead>
          <tr>
            <th scope="col">{t('stock.an.time')}</th>
            <th scope="col">{t('stock.an.kind')}</th>
            <th scope="col">{t('stock.col.site')}</th>
            <th scope="col">{t('stock.col.sku')}</th>
            <th scope="col">{t('stock.col.location')}</th>
            <th scope="col">{t('stock.an.transaction')}</th>
            <th scope="col" class="num">{t('stock.an.have')}</th>
            <th scope="col" class="num">{t('stock.an.wanted')}</th>
            <th scope="col">{t('stock.an.detail')}</th>
          </tr>
        </thead>
        <tbody>
          {a.data.items.map((x, i) => (
            <tr key={`${x.site}|${x.transactionId}|${i}`}>
              <td>{fmtTime(x.atMs)}</td>
              <th scope="row">{t(`stock.kind.${x.kind}`)}</th>
              <td>{x.site}</td>
              <td>{x.sku ?? '—'}</td>
              <td>{x.locationId ?? '—'}</td>
              <td>{x.transactionId}</td>
              <td class="num">{fmtNumber(x.haveQty)}</td>
              <td class="num">{fmtNumber(x.wantedQty)}</td>
              <td>{x.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
