import { useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, useAsync } from '../components.tsx';
import { fmtDecimal, fmtNumber, lang, t, ZONE } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';
import { DailyChart } from './stats-chart.tsx';
import './stats.css';

/** GET /api/stats (hub/services/stats.ts): aggregates from the daily rollup, never a list of parcels. */
type Group = 'mode' | 'day' | 'enterprise' | 'status' | 'direction';
interface Row {
  key: string | null;
  cases: number;
  /** Exact decimal string. */
  valueCny: string;
  /** Cases with no value (no exchange rate for their currency and month). */
  unvalued: number;
  byStatus: Record<string, number>;
}
interface Report {
  from: string;
  to: string;
  groupBy: Group;
  rows: Row[];
  total: { cases: number; valueCny: string; unvalued: number; byStatus: Record<string, number> };
}

const MODES = ['9610', '1210', '1239', '9710', '9810'] as const;
const GROUPS: readonly Group[] = ['mode', 'day', 'enterprise', 'status', 'direction'];
const STATUSES = ['pending', 'awaiting_release', 'released', 'held', 'inspection', 'seized', 'returned', 'destroyed', 'cancelled'] as const;

/** Today in China time (the unit of every report), as YYYY-MM-DD. */
const chinaToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now());
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

interface Filters {
  from: string;
  to: string;
  modes: string[];
  direction: '' | 'import' | 'export';
}

function groupLabel(group: Group, key: string | null): string {
  if (key === null) return t('stats.none');
  if (group === 'mode') return `${key} ${t(`stats.mode.${key}`) === `stats.mode.${key}` ? '' : t(`stats.mode.${key}`)}`.trim();
  if (group === 'status') return t(`stats.status.${key}`);
  if (group === 'direction') return t(`stats.direction.${key}`);
  return key;
}

/** A value that leaves out cases with no exchange rate says so: "no rate", never ¥0 (issue 16 item 9). */
function ValueText({ valueCny, unvalued = 0, cases }: { valueCny: string; unvalued?: number; cases: number }) {
  if (unvalued > 0 && unvalued >= cases) return <span class="muted">{t('stats.noRate')}</span>;
  return (
    <>
      {fmtDecimal(valueCny, 2)}
      {unvalued > 0 ? <small class="muted"> {t('stats.unvalued', { n: fmtNumber(unvalued) })}</small> : null}
    </>
  );
}

function StatsTable({ report }: { report: Report }) {
  if (report.rows.length === 0) return <Empty />;
  const cells = (r: Pick<Row, 'cases' | 'valueCny' | 'unvalued' | 'byStatus'>) => (
    <>
      <td class="num">{fmtNumber(r.cases)}</td>
      <td class="num">
        <ValueText valueCny={r.valueCny} unvalued={r.unvalued} cases={r.cases} />
      </td>
      {STATUSES.map((s) => (
        <td class="num" key={s}>
          {fmtNumber(r.byStatus[s] ?? 0)}
        </td>
      ))}
    </>
  );
  return (
    <div class="table-wrap">
      <table aria-describedby="stats-caption">
        <caption id="stats-caption" class="stats-sr">
          {t('stats.caption', { group: t(`stats.group.${report.groupBy}`), from: report.from, to: report.to })}
        </caption>
        <thead>
          <tr>
            <th scope="col">{t(`stats.group.${report.groupBy}`)}</th>
            <th scope="col" class="num">
              {t('stats.col.cases')}
            </th>
            <th scope="col" class="num">
              {t('stats.col.value')}
            </th>
            {STATUSES.map((s) => (
              <th scope="col" class="num" key={s}>
                {t(`stats.status.${s}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => (
            <tr key={r.key ?? ''}>
              <th scope="row">{groupLabel(report.groupBy, r.key)}</th>
              {cells(r)}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t('stats.total')}</th>
            {cells(report.total)}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

export function StatsPage(_props: { route: Route; me: Me }) {
  const today = chinaToday();
  const [draft, setDraft] = useState<Filters>({ from: addDays(today, -29), to: today, modes: [], direction: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [group, setGroup] = useState<Group>('mode');
  const params = useMemo(() => ({ from: filters.from, to: filters.to, mode: filters.modes, direction: filters.direction }), [filters]);
  const report = useAsync((signal) => api<Report>(`/api/stats${qs({ ...params, groupBy: group })}`, { signal }), [params, group]);
  const daily = useAsync((signal) => api<Report>(`/api/stats${qs({ ...params, groupBy: 'day' })}`, { signal }), [params]);
  // Every day of the range, the quiet ones as zero: the axis then spans the range asked for.
  const days = useMemo(() => {
    if (!daily.data) return [];
    const byDay = new Map(daily.data.rows.map((r) => [r.key, r]));
    const out: { day: string; cases: number; released: number }[] = [];
    for (let d = daily.data.from; d <= daily.data.to; d = addDays(d, 1)) out.push({ day: d, cases: byDay.get(d)?.cases ?? 0, released: byDay.get(d)?.byStatus.released ?? 0 });
    return out;
  }, [daily.data]);
  const total = daily.data?.total;
  const csvHref = `/api/stats.csv${qs({ ...params, groupBy: group, lang: lang() })}`;

  const submit = (e: Event) => {
    e.preventDefault();
    setFilters(draft);
  };
  const toggleMode = (m: string, on: boolean) => setDraft((d) => ({ ...d, modes: on ? [...d.modes, m] : d.modes.filter((x) => x !== m) }));

  return (
    <section aria-labelledby="page-title" class="stats">
      <h1 id="page-title">{t('stats.title')}</h1>
      <form class="panel row stats-filters" onSubmit={submit} aria-label={t('stats.filters')}>
        <div>
          <label for="stats-from">{t('stats.from')}</label>
          <input id="stats-from" type="date" required value={draft.from} max={draft.to} onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} />
        </div>
        <div>
          <label for="stats-to">{t('stats.to')}</label>
          <input id="stats-to" type="date" required value={draft.to} min={draft.from} onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} />
        </div>
        <fieldset class="stats-modes">
          <legend>{t('stats.modes')}</legend>
          {MODES.map((m) => (
            <label key={m} class="check">
              <input type="checkbox" checked={draft.modes.includes(m)} onChange={(e) => toggleMode(m, (e.target as HTMLInputElement).checked)} />
              {m} {t(`stats.mode.${m}`)}
            </label>
          ))}
        </fieldset>
        <div>
          <label for="stats-direction">{t('stats.directionLabel')}</label>
          <select id="stats-direction" value={draft.direction} onChange={(e) => setDraft({ ...draft, direction: (e.target as HTMLSelectElement).value as Filters['direction'] })}>
            <option value="">{t('stats.direction.all')}</option>
            <option value="import">{t('stats.direction.import')}</option>
            <option value="export">{t('stats.direction.export')}</option>
          </select>
        </div>
        <button type="submit" class="primary">
          {t('action.search')}
        </button>
        <p class="muted stats-tz">{t('stats.tzNote')}</p>
      </form>

      <div class="grid" aria-live="polite">
        <div class="figure">
          <div class="label">{t('stats.fig.cases')}</div>
          <div class="value" data-testid="stats-total-cases">
            {fmtNumber(total?.cases)}
          </div>
        </div>
        <div class="figure">
          <div class="label">{t('stats.fig.value')}</div>
          <div class="value">{total ? total.unvalued > 0 && total.unvalued >= total.cases ? t('stats.noRate') : <>¥{fmtDecimal(total.valueCny, 2)}{total.unvalued > 0 ? <small class="muted"> {t('stats.unvalued', { n: fmtNumber(total.unvalued) })}</small> : null}</> : '—'}</div>
        </div>
        <div class="figure">
          <div class="label">{t('stats.status.released')}</div>
          <div class="value">{fmtNumber(total?.byStatus.released ?? (total ? 0 : undefined))}</div>
        </div>
        <div class="figure">
          <div class="label">{t('stats.fig.attention')}</div>
          <div class="value">{total ? fmtNumber((total.byStatus.held ?? 0) + (total.byStatus.inspection ?? 0) + (total.byStatus.pending ?? 0)) : '—'}</div>
        </div>
      </div>

      <div class="panel">
        <h2>{t('stats.chart.title')}</h2>
        <ErrorBox error={daily.error} />
        {days.length > 0 ? <DailyChart days={days} /> : daily.loading ? <Loading /> : <Empty />}
      </div>

      <div class="panel">
        <div class="row stats-table-head">
          <div role="tablist" aria-label={t('stats.groupBy')} class="stats-tabs">
            {GROUPS.map((g) => (
              <button
                type="button"
                role="tab"
                key={g}
                id={`stats-tab-${g}`}
                aria-selected={g === group}
                tabIndex={g === group ? 0 : -1}
                onClick={() => setGroup(g)}
                onKeyDown={(e) => {
                  const i = GROUPS.indexOf(g);
                  const next = e.key === 'ArrowRight' ? GROUPS[(i + 1) % GROUPS.length] : e.key === 'ArrowLeft' ? GROUPS[(i + GROUPS.length - 1) % GROUPS.length] : undefined;
                  if (next) {
                    setGroup(next);
                    document.getElementById(`stats-tab-${next}`)?.focus();
                  }
                }}
              >
                {t(`stats.by.${g}`)}
              </button>
            ))}
          </div>
          <a class="button" href={csvHref} download>
            {t('action.exportCsv')}
          </a>
        </div>
        <div role="tabpanel" aria-labelledby={`stats-tab-${group}`}>
          <ErrorBox error={report.error} />
          {report.data ? <StatsTable report={report.data} /> : report.loading ? <Loading /> : null}
        </div>
      </div>
    </section>
  );
}
