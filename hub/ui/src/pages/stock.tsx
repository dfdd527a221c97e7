import { useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, useAsync } from '../components.tsx';
import { fmtNumber, fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';
import './stock.css';

const STATES = ['non_bonded', 'bonded', 'list_applied', 'slip_applied', 'written_off'] as const;
type CustomsState = (typeof STATES)[number];
const BOOK_STATES = ['bonded', 'list_applied', 'slip_applied', 'written_off'] as const;

/** GET /api/stock/states (hub/services/stock-states.ts): states from the bonded account book, never inferred. */
interface StateDocument { state: 'list_applied' | 'slip_applied' | 'written_off'; listNo: string; kind: string; qty: string; slips: string[] }
interface ItemRow { gdsSeqno: number; gdsMtno: string; gdsNm: string; dclUnitcd: string; balanceQty: string; countedQty: string; qty: Record<(typeof BOOK_STATES)[number], string>; documents: StateDocument[] }
interface Counted { sku: string; warehouse: 'bonded' | 'overseas'; qty: number }
type StatesView = { book: null } | { book: string; totals: Record<CustomsState, string>; items: ItemRow[]; nonBonded: Counted[] };
/** GET /api/stock: what the desks count, by location (no customs state: that is the book's). */
interface Level { site: string; warehouse: 'bonded' | 'overseas'; sku: string; locationId: string; bucket: 'sellable' | 'quarantine'; qty: number; updatedMs: number }
interface Anomaly { site: string; transactionId: string; kind: string; sku: string | null; locationId: string | null; haveQty: number; wantedQty: number; detail: string; atMs: number }

interface Filters { site: string; warehouse: string; sku: string; state: string }
const EMPTY: Filters = { site: '', warehouse: '', sku: '', state: '' };
const TABS = ['states', 'levels', 'anomalies'] as const;

/** A customs state as a pill: its own colour (stock.css) and always its word. */
function StatePill({ state }: { state: CustomsState }) {
  return <span class={`pill st-${state}`}>{t(`stock.state.${state}`)}</span>;
}

/** Decimal strings from the book ("12.5"), grouped for reading without going through a float. */
const fmtQty = (q: string) => {
  const [i, f] = q.split('.');
  return `${fmtNumber(Number(i))}${f ? `.${f}` : ''}`;
};

export function StockPage(_props: { route: Route; me: Me }) {
  const [tab, setTab] = useState<(typeof TABS)[number]>('states');
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
          <label for="stock-sku">{t('stock.filter.sku')}</label>
          <input id="stock-sku" value={draft.sku} onInput={field('sku')} size={14} />
        </div>
        {tab === 'states' ? (
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
        ) : (
          <>
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
          </>
        )}
        <button type="submit" class="primary">
          {t('action.search')}
        </button>
        <button type="button" onClick={() => (setDraft(EMPTY), setFilters(EMPTY))}>
          {t('action.reset')}
        </button>
      </form>
      <div role="tablist" aria-label={t('stock.title')}>
        {TABS.map((id) => (
          <button type="button" role="tab" key={id} id={`tab-${id}`} aria-selected={tab === id} aria-controls={`panel-${id}`} onClick={() => setTab(id)}>
            {t(`stock.tab.${id}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'states' ? <States f={filters} /> : tab === 'levels' ? <Levels f={filters} /> : <Anomalies f={filters} />}
      </div>
    </section>
  );
}

function States({ f }: { f: Filters }) {
  const v = useAsync((signal) => api<StatesView>(`/api/stock/states${qs({ sku: f.sku, state: f.state })}`, { signal }), [f.sku, f.state]);
  if (v.error) return <ErrorBox error={v.error} />;
  if (!v.data) return <Loading />;
  const d = v.data;
  // Without the account book there is nothing to derive a state from: say so, never guess from the shelf.
  if (d.book === null)
    return (
      <p class="notice no-book" role="note">
        {t('stock.noBook')}
        <br />
        {t('stock.noBookConfig')} <code>bonded</code>
      </p>
    );
  return (
    <>
      <p class="muted">{t('stock.fromBook', { book: d.book })}</p>
      <h2 id="totals-title">{t('stock.totals')}</h2>
      <div class="grid" role="list" aria-labelledby="totals-title">
        {STATES.map((s) => (
          <div class="figure st" role="listitem" key={s} data-state={s}>
            <div class="value">{fmtQty(d.totals[s])}</div>
            <div class="label">
              <StatePill state={s} />
            </div>
          </div>
        ))}
      </div>
      {d.items.length === 0 && d.nonBonded.length === 0 ? <Empty /> : null}
      {d.items.length ? (
        <div class="table-wrap" style={{ marginTop: '12px' }}>
          <table class="stock-states">
            <thead>
              <tr>
                <th scope="col">{t('stock.col.item')}</th>
                <th scope="col">{t('stock.col.sku')}</th>
                <th scope="col">{t('stock.col.name')}</th>
                <th scope="col" class="num">{t('stock.col.balance')}</th>
                {BOOK_STATES.map((s) => (
                  <th scope="col" class="num" key={s}>
                    <StatePill state={s} />
                  </th>
                ))}
                <th scope="col" class="num">{t('stock.col.counted')}</th>
                <th scope="col">{t('stock.col.documents')}</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((i) => (
                <tr key={i.gdsSeqno} data-item={i.gdsSeqno}>
                  <th scope="row">{i.gdsSeqno}</th>
                  <td>{i.gdsMtno}</td>
                  <td>{i.gdsNm}</td>
                  <td class="num">{fmtQty(i.balanceQty)}</td>
                  {BOOK_STATES.map((s) => (
                    <td class="num" key={s} data-state={s}>
                      {fmtQty(i.qty[s])}
                    </td>
                  ))}
                  <td class="num">{fmtNumber(Number(i.countedQty))}</td>
                  <td>
                    <ul class="docs">
                      {i.documents.map((x, n) => (
                        <li key={n}>
                          <StatePill state={x.state} /> {t(`stock.kindOf.${x.kind}`)} {x.listNo} × {fmtQty(x.qty)}
                          {x.slips.length ? <span class="muted"> · {t('stock.onSlips', { slips: x.slips.join(', ') })}</span> : null}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {d.nonBonded.length ? (
        <>
          <h2 id="non-bonded-title">{t('stock.nonBonded')}</h2>
          <div class="table-wrap">
            <table class="non-bonded" aria-labelledby="non-bonded-title">
              <thead>
                <tr>
                  <th scope="col">{t('stock.col.sku')}</th>
                  <th scope="col">{t('stock.col.warehouse')}</th>
                  <th scope="col" class="num">{t('stock.col.qty')}</th>
                  <th scope="col">{t('stock.col.why')}</th>
                </tr>
              </thead>
              <tbody>
                {d.nonBonded.map((c) => (
                  <tr key={`${c.warehouse}|${c.sku}`}>
                    <th scope="row">{c.sku}</th>
                    <td>{t(`stock.wh.${c.warehouse}`)}</td>
                    <td class="num">{fmtNumber(c.qty)}</td>
                    <td>{t(c.warehouse === 'overseas' ? 'stock.why.overseas' : 'stock.why.notOnBook')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  );
}

function Levels({ f }: { f: Filters }) {
  const v = useAsync((signal) => api<{ items: Level[] }>(`/api/stock${qs({ site: f.site, warehouse: f.warehouse, sku: f.sku, limit: 1000 })}`, { signal }), [f.site, f.warehouse, f.sku]);
  if (v.error) return <ErrorBox error={v.error} />;
  if (!v.data) return <Loading />;
  if (v.data.items.length === 0) return <Empty />;
  return (
    <>
      <p class="muted">{t('stock.levelsNote')}</p>
      <div class="table-wrap">
        <table class="stock">
          <thead>
            <tr>
              <th scope="col">{t('stock.col.sku')}</th>
              <th scope="col">{t('stock.col.site')}</th>
              <th scope="col">{t('stock.col.warehouse')}</th>
              <th scope="col">{t('stock.col.location')}</th>
              <th scope="col">{t('stock.col.bucket')}</th>
              <th scope="col" class="num">{t('stock.col.qty')}</th>
              <th scope="col">{t('stock.col.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {v.data.items.map((r) => (
              <tr key={`${r.site}|${r.warehouse}|${r.sku}|${r.locationId}|${r.bucket}`}>
                <th scope="row">{r.sku}</th>
                <td>{r.site}</td>
                <td>{t(`stock.wh.${r.warehouse}`)}</td>
                <td>{r.locationId}</td>
                <td>{t(`stock.bucket.${r.bucket}`)}</td>
                <td class="num">{fmtNumber(r.qty)}</td>
                <td>{fmtTime(r.updatedMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
