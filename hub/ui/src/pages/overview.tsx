import { useEffect, useState } from 'preact/hooks';
import { api, qs, subscribe } from '../api.ts';
import { ErrorBox, Loading, Pill, useAsync } from '../components.tsx';
import { fmtDuration, fmtNumber, fmtTime, t } from '../i18n/index.ts';
import { href, type Route } from '../router.ts';
import type { Me } from '../session.ts';
import { AlarmSentence, type Alarm } from './gateways.tsx';
import { FLOWS, FlowChart, fmtHour, type HourlyFlows } from './overview-parts.tsx';
import './overview.css';

/**
 * The zone at a glance: this hour's flows beside the window's totals, the officers' queue and its oldest case, dwell
 * from entry to exit, the hourly chart, and throughput per line and gate. The figures come from the hub's hourly
 * read model (GET /api/overview) and are pushed again over SSE every few seconds and after each ingested batch, so
 * the page never reloads. Mirrors the hub's `Overview` (hub/services/zone-stats.ts).
 */
type Flows = Record<(typeof FLOWS)[number], number>;
type QueueStatus = 'pending' | 'held' | 'inspection';
interface StationThroughput {
  stationId: string;
  total: number;
  thisHour: number;
  hourly: number[];
}
interface Overview {
  generatedMs: number;
  hours: number;
  fromMs: number;
  toMs: number;
  hourly: HourlyFlows;
  totals: Flows;
  thisHour: Flows;
  dwell: { parcels: number; medianMs: number | null; p90Ms: number | null };
  lines: StationThroughput[];
  gates: StationThroughput[];
  queue: { total: number; byStatus: Record<QueueStatus, number>; oldest: { parcelKey: string; status: QueueStatus; sinceMs: number } | null };
  customs: { fromDay: string; toDay: string; declared: number; released: number; awaitingRelease: number; stopped: number } | null;
  readModels: { lagSeconds: number; behind: string[]; failed: string[] };
}

/** Under this the views count as current: a batch is applied within milliseconds when the hub keeps up. */
const CURRENT_LAG_S = 2;

const WINDOWS = [6, 12, 24, 48, 72, 168] as const;

/** Whether the parcel states and figures include everything the hub has acked (its read models are projections). */
function Freshness({ m }: { m: Overview['readModels'] }) {
  const state = m.failed.length > 0 ? 'failed' : m.lagSeconds < CURRENT_LAG_S ? 'current' : 'behind';
  return (
    <p class="ov-fresh" data-fresh={state}>
      {state === 'failed' ? (
        <Pill tone="bad">{t('overview.viewsFailed')}</Pill>
      ) : state === 'behind' ? (
        <Pill tone="warn">{t('overview.viewsBehind', { seconds: fmtNumber(Math.round(m.lagSeconds)) })}</Pill>
      ) : (
        <span class="muted">{t('overview.viewsCurrent')}</span>
      )}
    </p>
  );
}

export function OverviewPage(_props: { route: Route; me: Me }) {
  const [hours, setHours] = useState(24);
  const [data, setData] = useState<Overview>();
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    setError(undefined);
    api<Overview>(`/api/overview${qs({ hours })}`, { signal: ac.signal }).then(
      (o) => !ac.signal.aborted && setData((d) => (d && d.hours === o.hours && d.generatedMs > o.generatedMs ? d : o)),
      (e: unknown) => !ac.signal.aborted && setError(e),
    );
    const close = subscribe(`/api/overview/stream${qs({ hours })}`, { overview: (o) => setData(o as Overview) }, setLive);
    return () => {
      ac.abort();
      close();
    };
  }, [hours]);

  return (
    <section aria-labelledby="page-title" class="overview">
      <div class="ov-head">
        <h1 id="page-title">{t('overview.title')}</h1>
        <div class="row ov-controls">
          <div>
            <label for="ov-hours">{t('overview.window')}</label>
            <select id="ov-hours" value={hours} onChange={(e) => setHours(Number((e.target as HTMLSelectElement).value))}>
              {WINDOWS.map((h) => (
                <option key={h} value={h}>
                  {t('overview.windowHours', { hours: h })}
                </option>
              ))}
            </select>
          </div>
          <p class="ov-live" aria-live="polite">
            {live ? <Pill tone="ok">{t('state.live')}</Pill> : <Pill tone="warn">{t('state.offline')}</Pill>}
            {data ? <span class="muted"> {t('overview.updated', { time: fmtTime(data.generatedMs, false) })}</span> : null}
          </p>
          {data ? <Freshness m={data.readModels} /> : null}
        </div>
      </div>
      <ErrorBox error={error} />
      {!data ? error ? null : <Loading /> : <Figures o={data} />}
      {data ? <OpenAlarms at={data.generatedMs} /> : null}
    </section>
  );
}

const OPEN_ALARMS_SHOWN = 5;

/** The newest open alarms, each said in the reader's language with its technical detail apart; refreshed with the figures. */
function OpenAlarms({ at }: { at: number }) {
  const d = useAsync((signal) => api<{ items: Alarm[]; counts: { open: number } }>(`/api/alarms${qs({ state: 'open', limit: OPEN_ALARMS_SHOWN })}`, { signal }), [Math.floor(at / 15_000)]);
  if (!d.data) return null;
  return (
    <div class="panel ov-alarms" data-open-alarms={d.data.counts.open}>
      <h2>
        {t('overview.alarms', { n: fmtNumber(d.data.counts.open) })} · <a href={href('gateways')}>{t('overview.alarmsAll')}</a>
      </h2>
      {d.data.items.length === 0 ? (
        <p class="muted">{t('overview.alarmsNone')}</p>
      ) : (
        <ul class="ov-alarm-list">
          {d.data.items.map((a) => (
            <li key={a.id} data-alarm={a.id}>
              <Pill tone={a.severity === 'critical' ? 'bad' : 'warn'}>{t(`gateways.sev.${a.severity}`)}</Pill> <span class="muted small">{fmtTime(a.lastMs)} · {a.gatewayId}</span>
              <div>
                <AlarmSentence a={a} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Which defined figure (hub/services/overview-figures.ts) each line flow is: its label and hover text. */
const FLOW_FIGURE = { in: 'line.in', released: 'line.released', held: 'line.diverted', out: 'line.out' } as const;
const CUSTOMS_FIGURES = [
  ['released', 'customs.released'],
  ['awaitingRelease', 'customs.awaitingRelease'],
  ['stopped', 'customs.stopped'],
  ['declared', 'customs.declared'],
] as const;

/** A figure's label with its definition on hover (and on focus, for the keyboard), in the reader's language. */
function FigureLabel({ id }: { id: string }) {
  return (
    <div class="label" title={t(`overview.def.${id}`)} tabIndex={0} data-def={id}>
      {t(`overview.fig.${id}`)} <span aria-hidden="true" class="ov-def">ⓘ</span>
    </div>
  );
}

function Figures({ o }: { o: Overview }) {
  const oldest = o.queue.oldest;
  return (
    <>
      <h2 class="ov-sub">{t('overview.customsTitle')}</h2>
      {o.customs ? (
        <p class="muted small" data-customs-window>
          {t('overview.customsWindow', { from: o.customs.fromDay, to: o.customs.toDay })} · <a href={href('stats')}>{t('nav.stats')}</a>
        </p>
      ) : null}
      <div class="grid ov-figures">
        <div class="figure" data-figure="queue">
          <FigureLabel id="customs.queue" />
          <div class="value">{fmtNumber(o.queue.total)}</div>
          <div class="muted small">{t('overview.queueBreakdown', { pending: fmtNumber(o.queue.byStatus.pending), held: fmtNumber(o.queue.byStatus.held), inspection: fmtNumber(o.queue.byStatus.inspection) })}</div>
        </div>
        <div class="figure" data-figure="oldest">
          <div class="label">{t('overview.oldest')}</div>
          {oldest ? (
            <>
              <div class="value">{fmtDuration(Math.max(0, o.generatedMs - oldest.sinceMs))}</div>
              <div class="small">
                <a href={href('parcels', oldest.parcelKey)}>{t('overview.oldestWho', { parcel: oldest.parcelKey, status: t(`overview.status.${oldest.status}`) })}</a>
              </div>
            </>
          ) : (
            <div class="value muted">{t('overview.oldestNone')}</div>
          )}
        </div>
        {o.customs
          ? CUSTOMS_FIGURES.map(([k, id]) => (
              <div class="figure" key={id} data-figure={id}>
                <FigureLabel id={id} />
                <div class="value">{fmtNumber(o.customs![k])}</div>
              </div>
            ))
          : null}
      </div>
      <h2 class="ov-sub">{t('overview.lineTitle')} · {t('overview.thisHour')}</h2>
      <div class="grid ov-figures">
        {FLOWS.map((f) => (
          <div class="figure" key={f} data-figure={f}>
            <FigureLabel id={FLOW_FIGURE[f]} />
            <div class="value">{fmtNumber(o.thisHour[f])}</div>
            <div class="muted small" data-total={o.totals[f]}>
              {t('overview.inWindow', { hours: o.hours, n: fmtNumber(o.totals[f]) })}
            </div>
          </div>
        ))}
        <div class="figure" data-figure="dwell">
          <FigureLabel id="line.dwell" />
          <dl class="ov-dwell">
            <dt>{t('overview.dwellMedian')}</dt>
            <dd data-dwell="median">{fmtDuration(o.dwell.medianMs)}</dd>
            <dt>{t('overview.dwellP90')}</dt>
            <dd data-dwell="p90">{fmtDuration(o.dwell.p90Ms)}</dd>
          </dl>
          <div class="muted small">{t('overview.dwellParcels', { n: fmtNumber(o.dwell.parcels) })}</div>
          {o.totals.out > o.dwell.parcels ? <div class="muted small" data-out-without-entry>{t('overview.outWithoutEntry', { n: fmtNumber(o.totals.out - o.dwell.parcels) })}</div> : null}
        </div>
      </div>

      <div class="panel">
        <h2>{t('overview.chartTitle')}</h2>
        <FlowChart hourly={o.hourly} label={t('overview.chartLabel', { hours: o.hours })} />
        <details>
          <summary>{t('overview.chartTable')}</summary>
          <div class="table-wrap ov-hourly">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('overview.hour')}</th>
                  {FLOWS.map((f) => (
                    <th scope="col" class="num" key={f}>
                      {t(`overview.${f}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {o.hourly.hourMs.map((ms, i) => (
                  <tr key={ms}>
                    <th scope="row">{fmtHour(ms)}</th>
                    {FLOWS.map((f) => (
                      <td class="num" key={f}>
                        {fmtNumber(o.hourly[f][i])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </div>

      <div class="ov-stations">
        <Stations id="lines" title={t('overview.lines')} note={t('overview.linesNote')} rows={o.lines} o={o} />
        <Stations id="gates" title={t('overview.gates')} note={t('overview.gatesNote')} rows={o.gates} o={o} />
      </div>
    </>
  );
}

function Stations({ id, title, note, rows, o }: { id: string; title: string; note: string; rows: StationThroughput[]; o: Overview }) {
  return (
    <div class="panel" data-stations={id}>
      <h2 id={`ov-${id}`}>{title}</h2>
      <p class="muted small">{note}</p>
      {rows.length === 0 ? (
        <p class="muted">{t('overview.noStations')}</p>
      ) : (
        <div class="table-wrap">
          <table aria-labelledby={`ov-${id}`}>
            <thead>
              <tr>
                <th scope="col">{t('overview.station')}</th>
                <th scope="col" class="num">
                  {t('overview.stationThisHour')}
                </th>
                <th scope="col" class="num">
                  {t('overview.stationTotal', { hours: o.hours })}
                </th>
                <th scope="col">{t('overview.stationPeak')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const peak = r.hourly.reduce((best, n, i) => (n > (r.hourly[best] ?? 0) ? i : best), 0);
                return (
                  <tr key={r.stationId}>
                    <th scope="row">{r.stationId}</th>
                    <td class="num">{fmtNumber(r.thisHour)}</td>
                    <td class="num">{fmtNumber(r.total)}</td>
                    <td>
                      {fmtHour(o.hourly.hourMs[peak] ?? o.fromMs)} · {fmtNumber(r.hourly[peak] ?? 0)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
