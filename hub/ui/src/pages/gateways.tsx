import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, MoreButton, Pill, ReasonDialog, useAsync } from '../components.tsx';
import { fmtDuration, fmtNumber, fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import { DataValue, ReasonText } from '../reason.tsx';
import type { Me, Role } from '../session.ts';
import { EportSignerPanel } from './eport-signer-panel.tsx';
import './gateways.css';

/** GET /api/gateways (hub/routes/gateways.ts gatewayView). */
interface GatewayView {
  id: string;
  online: boolean;
  lastSeenMs: number | null;
  ackedSeq: number;
  backlog: { count: number; oldestWallMs: number | null } | null;
  backlogAgeMs: number;
  disk: { usedBytes: number; quotaBytes: number; level: 'ok' | 'soft' | 'hard' } | null;
  clockSynced: boolean | null;
  clockOffsetMs: number | null;
  journal: { alerts: number; keyPinned: boolean };
}
interface DeviceHealth {
  deviceId: string; stationId: string; status: 'up' | 'down' | 'degraded'; detail: string | null; lastMs: number; sinceMs: number;
  drops: number; dropsWindowMs: number; flapping: boolean;
}
type AlarmState = 'open' | 'acknowledged' | 'cleared';
export interface Alarm {
  id: string; gatewayId: string; kind: string; subject: string; stationId: string | null; deviceId: string | null; severity: 'critical' | 'warning'; state: AlarmState;
  detail: string; firstMs: number; lastMs: number; count: number; ackedBy: string | null; ackedMs: number | null; ackReason: string | null;
  /** The alarm's sentence as a code (said in the reader's language); `technical`: raw detail, shown as such. */
  reason: { code: string; params?: Record<string, unknown> }; technical: string | null;
  /** Set on an open alarm: the repeating failure has recovered but stays until acknowledged. */
  clearedMs: number | null;
}
interface AlarmPage { items: Alarm[]; nextCursor: string | null; counts: Record<AlarmState, number> }

/**
 * Live refresh by polling every 5 s, not SSE: gateways report their status every few seconds over MQTT, the two reads
 * are small aggregates (one row per gateway, one per alarm), and a poll survives proxies and hub restarts with no
 * stream to resume. Polling pauses while the tab is hidden.
 */
const POLL_MS = 5000;
const ACK_ROLES: readonly Role[] = ['manager', 'admin', 'operator'];
const STATE_FILTERS = { active: 'open,acknowledged', open: 'open', acknowledged: 'acknowledged', cleared: 'cleared', all: '' } as const;
type StateFilter = keyof typeof STATE_FILTERS;

const stateTone = { open: 'bad', acknowledged: 'warn', cleared: 'ok' } as const;
const devTone = { up: 'ok', down: 'bad', degraded: 'warn' } as const;
const diskTone = { ok: 'ok', soft: 'warn', hard: 'bad' } as const;

export function GatewaysPage({ me }: { route: Route; me: Me }) {
  const [expanded, setExpanded] = useState<string | null>(null);
  // One clock for the whole page: the gateways, the open device list and the alarms refresh together.
  const [tick, setTick] = useState(0);
  const gws = useAsync((signal) => api<{ items: GatewayView[] }>('/api/gateways', { signal }), [tick]);
  useEffect(() => {
    const id = setInterval(() => !document.hidden && setTick((n) => n + 1), POLL_MS);
    return () => clearInterval(id);
  }, []);
  return (
    <section aria-labelledby="page-title" class="gateways-page">
      <div class="row head">
        <h1 id="page-title">{t('gateways.title')}</h1>
        <span class="muted">{t('gateways.refreshNote')}</span>
      </div>
      <h2>{t('gateways.list')}</h2>
      <ErrorBox error={gws.error} />
      {!gws.data ? (
        <Loading />
      ) : gws.data.items.length === 0 ? (
        <Empty />
      ) : (
        <div class="table-wrap">
          <table class="gateways">
            <thead>
              <tr>
                <th scope="col">{t('gateways.col.id')}</th>
                <th scope="col">{t('gateways.col.online')}</th>
                <th scope="col" class="num">{t('gateways.col.backlog')}</th>
                <th scope="col">{t('gateways.col.backlogAge')}</th>
                <th scope="col">{t('gateways.col.lastSync')}</th>
                <th scope="col" class="num">{t('gateways.col.acked')}</th>
                <th scope="col">{t('gateways.col.disk')}</th>
                <th scope="col">{t('gateways.col.clock')}</th>
                <th scope="col" class="num">{t('gateways.col.alerts')}</th>
                <th scope="col">{t('gateways.col.devices')}</th>
              </tr>
            </thead>
            <tbody>
              {gws.data.items.map((g) => (
                <Fragment key={g.id}>
                  <GatewayRow g={g} open={expanded === g.id} toggle={() => setExpanded(expanded === g.id ? null : g.id)} />
                  {expanded === g.id ? (
                    <tr class="devices-row">
                      <td colSpan={10}>
                        <Devices gatewayId={g.id} tick={tick} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {me.role === 'admin' || me.role === 'manager' ? <EportSignerPanel tick={tick} /> : null}
      <Alarms me={me} gatewayIds={gws.data?.items.map((g) => g.id) ?? []} tick={tick} />
    </section>
  );
}

function GatewayRow({ g, open, toggle }: { g: GatewayView; open: boolean; toggle: () => void }) {
  const diskPct = g.disk ? Math.round((g.disk.usedBytes / g.disk.quotaBytes) * 100) : null;
  return (
    <tr data-gateway={g.id}>
      <th scope="row">{g.id}</th>
      <td>{g.lastSeenMs === null ? <Pill tone="muted">{t('gateways.never')}</Pill> : g.online ? <Pill tone="ok">{t('gateways.online')}</Pill> : <Pill tone="bad">{t('gateways.offline')}</Pill>}</td>
      <td class="num backlog">{g.backlog ? t('gateways.events', { n: fmtNumber(g.backlog.count) }) : '—'}</td>
      <td>{g.backlog && g.backlog.count > 0 ? fmtDuration(g.backlogAgeMs) : '—'}</td>
      <td>{fmtTime(g.lastSeenMs)}</td>
      <td class="num">{fmtNumber(g.ackedSeq)}</td>
      <td>
        {g.disk ? (
          <>
            <Pill tone={diskTone[g.disk.level]}>{t(`gateways.disk.${g.disk.level}`)}</Pill> {diskPct}%
          </>
        ) : (
          '—'
        )}
      </td>
      <td>
        {g.clockSynced === null ? '—' : <Pill tone={g.clockSynced ? 'ok' : 'warn'}>{t(g.clockSynced ? 'gateways.clock.synced' : 'gateways.clock.unsynced')}</Pill>}
        {g.clockOffsetMs !== null ? <div class="muted small">{t('gateways.clock.offset', { ms: fmtNumber(g.clockOffsetMs) })}</div> : null}
      </td>
      <td class="num">{g.journal.alerts > 0 ? <Pill tone="bad">{fmtNumber(g.journal.alerts)}</Pill> : '0'}</td>
      <td>
        <button type="button" aria-expanded={open} aria-controls={`devices-${g.id}`} onClick={toggle}>
          {t(open ? 'gateways.hideDevices' : 'gateways.showDevices')}
        </button>
      </td>
    </tr>
  );
}

function Devices({ gatewayId, tick }: { gatewayId: string; tick: number }) {
  const d = useAsync((signal) => api<{ items: DeviceHealth[] }>(`/api/gateways/${encodeURIComponent(gatewayId)}/devices`, { signal }), [gatewayId, tick]);
  return (
    <div id={`devices-${gatewayId}`} class="devices">
      <h3>{t('gateways.devicesOf', { id: gatewayId })}</h3>
      <ErrorBox error={d.error} />
      {!d.data ? (
        <Loading />
      ) : d.data.items.length === 0 ? (
        <p class="muted">{t('gateways.noDevices')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('gateways.dev.device')}</th>
              <th scope="col">{t('gateways.dev.station')}</th>
              <th scope="col">{t('gateways.dev.status')}</th>
              <th scope="col">{t('gateways.dev.since')}</th>
              <th scope="col">{t('gateways.dev.last')}</th>
              <th scope="col">{t('gateways.dev.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {d.data.items.map((x) => (
              <tr key={x.deviceId}>
                <th scope="row">{x.deviceId}</th>
                <td>{x.stationId}</td>
                <td>
                  <Pill tone={devTone[x.status]}>{t(`gateways.dev.${x.status}`)}</Pill>
                  {x.flapping ? <div class="muted small flapping">{t('gateways.dev.flapping', { n: fmtNumber(x.drops), min: fmtNumber(Math.round(x.dropsWindowMs / 60_000)) })}</div> : null}
                </td>
                <td>{fmtTime(x.sinceMs)}</td>
                <td>{fmtTime(x.lastMs)}</td>
                <td>{x.detail ? <code class="technical">{x.detail}</code> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * An alarm's sentence in the reader's language, and below it the raw technical detail (an errno message, a device's
 * own words) labelled as such — data, never the alarm's sentence. Exported for the overview's open alarms.
 */
export function AlarmSentence({ a }: { a: Pick<Alarm, 'reason' | 'detail' | 'technical'> }) {
  return (
    <>
      <ReasonText reason={{ ...a.reason, message: a.detail }} />
      {a.technical ? (
        <div class="small technical-detail">
          <span class="muted">{t('gateways.al.technical')}</span> <code>{a.technical}</code>
        </div>
      ) : null}
    </>
  );
}

function Alarms({ me, gatewayIds, tick }: { me: Me; gatewayIds: string[]; tick: number }) {
  const [state, setState] = useState<StateFilter>('active');
  const [gatewayId, setGatewayId] = useState('');
  const [more, setMore] = useState<Alarm[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [acking, setAcking] = useState<Alarm | null>(null);
  const first = useAsync(
    (signal) => api<AlarmPage>(`/api/alarms${qs({ state: STATE_FILTERS[state], gatewayId, limit: 50 })}`, { signal }),
    [state, gatewayId, tick],
  );
  // A filter change starts again from the first page; the poll refreshes the first page only.
  useEffect(() => {
    setMore([]);
    setCursor(null);
  }, [state, gatewayId]);
  const next = cursor ?? (more.length === 0 ? (first.data?.nextCursor ?? null) : null);
  const loadMore = async () => {
    if (!next) return;
    const p = await api<AlarmPage>(`/api/alarms${qs({ state: STATE_FILTERS[state], gatewayId, limit: 50, cursor: next })}`);
    setMore((m) => [...m, ...p.items]);
    setCursor(p.nextCursor);
  };
  const seen = new Set<string>();
  const rows = [...(first.data?.items ?? []), ...more].filter((a) => !seen.has(a.id) && seen.add(a.id));
  const canAck = ACK_ROLES.includes(me.role);
  const c = first.data?.counts;
  return (
    <>
      <h2 id="alarms-title">{t('gateways.alarms')}</h2>
      {c ? (
        <p class="row counts" aria-live="polite">
          <Pill tone="bad">{t('gateways.count.open', { n: c.open })}</Pill>
          <Pill tone="warn">{t('gateways.count.acknowledged', { n: c.acknowledged })}</Pill>
          <Pill tone="ok">{t('gateways.count.cleared', { n: c.cleared })}</Pill>
        </p>
      ) : null}
      {!canAck ? <p class="muted">{t('gateways.readOnly')}</p> : null}
      <div class="row filters">
        <div>
          <label for="alarm-state">{t('gateways.filter.state')}</label>
          <select id="alarm-state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value as StateFilter)}>
            {(Object.keys(STATE_FILTERS) as StateFilter[]).map((s) => (
              <option key={s} value={s}>
                {s === 'active' ? t('gateways.filter.active') : s === 'all' ? t('gateways.filter.all') : t(`gateways.state.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="alarm-gateway">{t('gateways.filter.gateway')}</label>
          <select id="alarm-gateway" value={gatewayId} onChange={(e) => setGatewayId((e.target as HTMLSelectElement).value)}>
            <option value="">{t('gateways.filter.all')}</option>
            {gatewayIds.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBox error={first.error} />
      {!first.data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty />
      ) : (
        <div class="table-wrap">
          <table class="alarms" aria-labelledby="alarms-title">
            <thead>
              <tr>
                <th scope="col">{t('gateways.al.severity')}</th>
                <th scope="col">{t('gateways.al.kind')}</th>
                <th scope="col">{t('gateways.al.gateway')}</th>
                <th scope="col">{t('gateways.al.subject')}</th>
                <th scope="col">{t('gateways.al.first')}</th>
                <th scope="col">{t('gateways.al.last')}</th>
                <th scope="col" class="num">{t('gateways.al.count')}</th>
                <th scope="col">{t('gateways.al.state')}</th>
                <th scope="col">{t('gateways.al.detail')}</th>
                {canAck ? <th scope="col">{t('gateways.al.action')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id} data-alarm={a.id} data-kind={a.kind}>
                  <td>
                    <Pill tone={a.severity === 'critical' ? 'bad' : 'warn'}>{t(`gateways.sev.${a.severity}`)}</Pill>
                  </td>
                  <th scope="row">{t(`gateways.kind.${a.kind}`)}</th>
                  <td>{a.gatewayId}</td>
                  <td>
                    <DataValue text={[a.stationId, a.deviceId && a.deviceId !== a.subject ? a.deviceId : null, a.subject].filter(Boolean).join(' · ')} />
                  </td>
                  <td>{fmtTime(a.firstMs)}</td>
                  <td>{fmtTime(a.lastMs)}</td>
                  <td class="num">{fmtNumber(a.count)}</td>
                  <td class="state">
                    <Pill tone={stateTone[a.state]}>{t(`gateways.state.${a.state}`)}</Pill>
                    {a.ackedBy ? <div class="muted small">{t('gateways.ackedBy', { by: a.ackedBy, at: fmtTime(a.ackedMs), reason: a.ackReason ?? '' })}</div> : null}
                    {a.state === 'open' && a.clearedMs !== null ? <div class="muted small recovered">{t('gateways.recoveredAt', { at: fmtTime(a.clearedMs) })}</div> : null}
                  </td>
                  <td class="detail">
                    <AlarmSentence a={a} />
                  </td>
                  {canAck ? (
                    <td>
                      {a.state === 'open' ? (
                        <button type="button" onClick={() => setAcking(a)}>
                          {t('gateways.ack')}
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton next={next} onMore={loadMore} />
      {acking ? (
        <ReasonDialog
          title={t('gateways.ackTitle', { kind: t(`gateways.kind.${acking.kind}`) })}
          onCancel={() => setAcking(null)}
          onConfirm={async (reason) => {
            const updated = await api<Alarm>(`/api/alarms/${encodeURIComponent(acking.id)}/ack`, { method: 'POST', body: { reason } });
            setMore((m) => m.map((x) => (x.id === updated.id ? updated : x)));
            setAcking(null);
            first.reload();
          }}
        >
          <p>
            {acking.gatewayId} · {acking.subject} · <ReasonText reason={{ ...acking.reason, message: acking.detail }} />
          </p>
        </ReasonDialog>
      ) : null}
    </>
  );
}
