import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, MoreButton, Pill, ReasonDialog, useAsync } from '../components.tsx';
import { fmtNumber, fmtTime, t } from '../i18n/index.ts';
import { href, navigate, type Route } from '../router.ts';
import type { Me } from '../session.ts';
import { StatusPill as CaseStatusPill, type CaseStatus } from './queue-parts.tsx';
import './slips.css';

/**
 * Release slips (核放单, customs.md §4): the list with each slip's state, refreshed on an interval while the trucks
 * move through the gates; an officer builds a slip from released parcels on no open slip (GET /api/slips/candidates),
 * issues it, prints it with its QR for the driver (#/slips/<no>/print, @media print) and may void it before it passes.
 * Managers and admins read only. Slips carry no personal data (plates, containers, seals, parcel keys).
 */

type SlipStatus = 'applied' | 'approved' | 'passed_gate1' | 'passed' | 'deleted' | 'void';
interface Slip {
  passportNo: string;
  ioType: 'I' | 'E';
  status: SlipStatus;
  gateMode: 'single' | 'double';
  vehicleNo: string;
  vehicleIcNo?: string;
  containerNos: string[];
  sealIds: string[];
  vehicleWtKg?: number;
  containerWtKg?: number;
  totalGrossWtKg: number;
  totalWtKg?: number;
  goods: string[];
}
interface SlipRecord {
  slip: Slip;
  issuedBy: string;
  issuedMs: number;
  updatedMs: number;
  voidReason: string | null;
  voidedBy: string | null;
  version: number;
}
interface SlipDetail extends SlipRecord {
  gatePayload: string;
  parcels: { parcelKey: string; caseStatus: CaseStatus | null; declaredWeightKg: number | null }[];
  blockedAtGate: { parcelKey: string; caseStatus: CaseStatus | null }[];
}
interface Candidate {
  parcelKey: string;
  orderNo: string;
  direction: 'import' | 'export';
  tradeMode: string | null;
  declaredWeightKg: number | null;
  updatedMs: number;
}

const STATUSES: SlipStatus[] = ['approved', 'passed_gate1', 'passed', 'void', 'applied', 'deleted'];
const TONE: Record<SlipStatus, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = { applied: 'muted', approved: 'info', passed_gate1: 'warn', passed: 'ok', deleted: 'muted', void: 'bad' };
const SlipPill = ({ status }: { status: SlipStatus }) => <Pill tone={TONE[status]}>{t(`slips.status.${status}`)}</Pill>;
/** Slips move when a truck passes a gate: often enough to see it happen, rarely enough to cost nothing. */
const REFRESH_S = 10;
const kg = (n: number | null | undefined) => (n === null || n === undefined ? '—' : fmtNumber(n, 3));
const list = (s: string) => s.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

/** Reload every REFRESH_S seconds while the page is visible. */
function useInterval(fn: () => void, enabled = true) {
  useEffect(() => {
    if (!enabled) return;
    const id = setInterval(() => document.visibilityState === 'visible' && fn(), REFRESH_S * 1000);
    return () => clearInterval(id);
  }, [fn, enabled]);
}

export function SlipsPage({ route, me }: { route: Route; me: Me }) {
  const canAct = me.role === 'officer';
  const [no, view] = route.rest;
  if (no && view === 'print') return <SlipPrint no={no} />;
  if (no) return <SlipView no={no} canAct={canAct} />;
  return <SlipList canAct={canAct} />;
}

function SlipList({ canAct }: { canAct: boolean }) {
  const [status, setStatus] = useState<'' | SlipStatus>('');
  const [creating, setCreating] = useState(false);
  const [extra, setExtra] = useState<{ items: SlipRecord[]; next: string | null } | null>(null);
  const first = useAsync((signal) => api<{ items: SlipRecord[]; nextCursor: string | null }>(`/api/slips${qs({ status, limit: 50 })}`, { signal }), [status]);
  // Refreshing would drop the pages loaded below the first: only the first page refreshes itself.
  useInterval(first.reload, !extra);
  useEffect(() => setExtra(null), [status]);
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const next = extra ? extra.next : (first.data?.nextCursor ?? null);
  const more = async () => {
    if (!next) return;
    const r = await api<{ items: SlipRecord[]; nextCursor: string | null }>(`/api/slips${qs({ status, limit: 50, cursor: next })}`);
    setExtra({ items: [...(extra?.items ?? []), ...r.items], next: r.nextCursor });
  };
  return (
    <section aria-labelledby="page-title" class="slips">
      <div class="slips-head">
        <h1 id="page-title">{t('slips.title')}</h1>
        {canAct && !creating ? (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            {t('slips.new')}
          </button>
        ) : null}
      </div>
      {!canAct ? <p class="muted">{t('slips.readOnly')}</p> : null}
      {creating ? <NewSlip onCancel={() => setCreating(false)} /> : null}
      <section aria-labelledby="slips-list-title">
        <h2 id="slips-list-title">{t('slips.list')}</h2>
        <div class="row">
          <div>
            <label for="sl-status">{t('slips.filter.status')}</label>
            <select id="sl-status" value={status} onInput={(e) => setStatus((e.target as HTMLSelectElement).value as SlipStatus | '')}>
              <option value="">{t('slips.filter.status.any')}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`slips.status.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="button" onClick={() => (setExtra(null), first.reload())}>
            {t('action.refresh')}
          </button>
          <span class="muted">{!extra ? t('slips.autoRefresh', { s: REFRESH_S }) : ''}</span>
        </div>
        <ErrorBox error={first.error} />
        {first.loading && !first.data ? <Loading /> : null}
        {first.data && items.length === 0 ? <Empty /> : null}
        {items.length > 0 ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('slips.col.no')}</th>
                  <th scope="col">{t('slips.col.status')}</th>
                  <th scope="col">{t('slips.col.io')}</th>
                  <th scope="col">{t('slips.col.vehicle')}</th>
                  <th scope="col" class="num">
                    {t('slips.col.parcels')}
                  </th>
                  <th scope="col" class="num">
                    {t('slips.col.gross')}
                  </th>
                  <th scope="col">{t('slips.col.issued')}</th>
                  <th scope="col">{t('slips.col.issuedBy')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.slip.passportNo}>
                    <td>
                      <a href={href('slips', r.slip.passportNo)}>
                        <code>{r.slip.passportNo}</code>
                      </a>
                    </td>
                    <td>
                      <SlipPill status={r.slip.status} />
                    </td>
                    <td>{t(`slips.io.${r.slip.ioType}`)}</td>
                    <td>{r.slip.vehicleNo}</td>
                    <td class="num">{fmtNumber(r.slip.goods.length)}</td>
                    <td class="num">{kg(r.slip.totalGrossWtKg)}</td>
                    <td>{fmtTime(r.issuedMs)}</td>
                    <td>{r.issuedBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <MoreButton next={next} onMore={more} />
      </section>
    </section>
  );
}

/** The issue form: the vehicle, then the parcels picked from the candidates (paged, searchable by waybill prefix). */
function NewSlip({ onCancel }: { onCancel: () => void }) {
  const [ioType, setIoType] = useState<'E' | 'I'>('E');
  const [gateMode, setGateMode] = useState<'single' | 'double'>('single');
  const [vehicleNo, setVehicleNo] = useState('');
  const [vehicleWtKg, setVehicleWtKg] = useState('');
  const [containers, setContainers] = useState('');
  const [seals, setSeals] = useState('');
  const [direction, setDirection] = useState<'import' | 'export'>('import');
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const [chosen, setChosen] = useState<ReadonlyMap<string, number | null>>(new Map());
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const page = useAsync((signal) => api<{ items: Candidate[]; nextCursor: string | null }>(`/api/slips/candidates${qs({ q: search, direction, limit: 25, cursor })}`, { signal }), [search, direction, cursor]);
  const [trail, setTrail] = useState<string[]>([]); // cursors of the pages before this one, for "previous"
  const toggle = (c: Candidate) => {
    const m = new Map(chosen);
    if (m.has(c.parcelKey)) m.delete(c.parcelKey);
    else m.set(c.parcelKey, c.declaredWeightKg);
    setChosen(m);
  };
  const totalKg = [...chosen.values()].reduce<number>((s, w) => s + (w ?? 0), 0);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        ioType,
        gateMode,
        vehicleNo,
        ...(vehicleWtKg ? { vehicleWtKg: Number(vehicleWtKg) } : {}),
        containerNos: list(containers),
        sealIds: list(seals),
        parcelKeys: [...chosen.keys()],
      };
      const r = await api<SlipDetail>('/api/slips', { method: 'POST', body });
      navigate('slips', r.slip.passportNo);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form class="panel slips-new" onSubmit={submit} aria-labelledby="new-slip-title">
      <h2 id="new-slip-title">{t('slips.new')}</h2>
      <p class="muted">{t('slips.new.help')}</p>
      <div class="row">
        <div>
          <label for="ns-io">{t('slips.field.ioType')}</label>
          <select id="ns-io" value={ioType} onInput={(e) => setIoType((e.target as HTMLSelectElement).value as 'E' | 'I')}>
            <option value="E">{t('slips.io.E')}</option>
            <option value="I">{t('slips.io.I')}</option>
          </select>
        </div>
        <div>
          <label for="ns-gate">{t('slips.field.gateMode')}</label>
          <select id="ns-gate" value={gateMode} onInput={(e) => setGateMode((e.target as HTMLSelectElement).value as 'single' | 'double')}>
            <option value="single">{t('slips.gate.single')}</option>
            <option value="double">{t('slips.gate.double')}</option>
          </select>
        </div>
        <div>
          <label for="ns-plate">{t('slips.field.vehicleNo')}</label>
          <input id="ns-plate" required maxLength={32} size={12} value={vehicleNo} placeholder="粤B12345" onInput={(e) => setVehicleNo((e.target as HTMLInputElement).value)} />
        </div>
        <div>
          <label for="ns-tare">{t('slips.field.vehicleWtKg')}</label>
          <input id="ns-tare" type="number" min={1} max={100000} step="any" size={8} value={vehicleWtKg} onInput={(e) => setVehicleWtKg((e.target as HTMLInputElement).value)} />
        </div>
        <div>
          <label for="ns-containers">{t('slips.field.containerNos')}</label>
          <input id="ns-containers" maxLength={140} value={containers} onInput={(e) => setContainers((e.target as HTMLInputElement).value)} />
        </div>
        <div>
          <label for="ns-seals">{t('slips.field.sealIds')}</label>
          <input id="ns-seals" maxLength={300} value={seals} onInput={(e) => setSeals((e.target as HTMLInputElement).value)} />
        </div>
      </div>

      <fieldset class="slips-candidates">
        <legend>{t('slips.candidates')}</legend>
        <div class="row">
          <div>
            <label for="ns-q">{t('slips.candidates.q')}</label>
            <input
              id="ns-q"
              maxLength={64}
              value={q}
              onInput={(e) => setQ((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  setTrail([]);
                  setCursor(undefined);
                  setSearch(q.trim());
                }
              }}
            />
          </div>
          <div>
            <label for="ns-dir">{t('slips.candidates.direction')}</label>
            <select id="ns-dir" value={direction} onInput={(e) => (setTrail([]), setCursor(undefined), setDirection((e.target as HTMLSelectElement).value as 'import' | 'export'))}>
              <option value="import">{t('slips.direction.import')}</option>
              <option value="export">{t('slips.direction.export')}</option>
            </select>
          </div>
          <button type="button" onClick={() => (setTrail([]), setCursor(undefined), setSearch(q.trim()))}>
            {t('action.search')}
          </button>
        </div>
        <ErrorBox error={page.error} />
        {page.loading && !page.data ? <Loading /> : null}
        {page.data && page.data.items.length === 0 ? <Empty /> : null}
        {page.data && page.data.items.length > 0 ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('slips.col.select')}</th>
                  <th scope="col">{t('slips.col.parcel')}</th>
                  <th scope="col">{t('slips.col.order')}</th>
                  <th scope="col">{t('slips.col.direction')}</th>
                  <th scope="col">{t('slips.col.tradeMode')}</th>
                  <th scope="col" class="num">
                    {t('slips.col.weight')}
                  </th>
                  <th scope="col">{t('slips.col.released')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((c, i) => (
                  <tr key={c.parcelKey} class={chosen.has(c.parcelKey) ? 'selected' : ''}>
                    <td>
                      <input type="checkbox" id={`ns-c-${i}`} data-key={c.parcelKey} checked={chosen.has(c.parcelKey)} onChange={() => toggle(c)} />
                      <label for={`ns-c-${i}`} class="sr-only">
                        {t('slips.selectRow', { key: c.parcelKey })}
                      </label>
                    </td>
                    <td>
                      <code>{c.parcelKey}</code>
                    </td>
                    <td>{c.orderNo}</td>
                    <td>{t(`slips.direction.${c.direction}`)}</td>
                    <td>{c.tradeMode ?? '—'}</td>
                    <td class="num">{kg(c.declaredWeightKg)}</td>
                    <td>{fmtTime(c.updatedMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <div class="row">
          {trail.length > 0 ? (
            <button type="button" onClick={() => (setCursor(trail[trail.length - 1] || undefined), setTrail(trail.slice(0, -1)))}>
              ←
            </button>
          ) : null}
          {page.data?.nextCursor ? (
            <button type="button" onClick={() => (setTrail([...trail, cursor ?? '']), setCursor(page.data!.nextCursor!))}>
              {t('action.more')} →
            </button>
          ) : null}
        </div>
      </fieldset>

      <p class="slips-chosen" aria-live="polite">
        {t('slips.chosen', { n: chosen.size, kg: fmtNumber(totalKg, 3) })}
      </p>
      <ErrorBox error={error} />
      <div class="row">
        <button type="button" onClick={onCancel}>
          {t('action.cancel')}
        </button>
        <button type="submit" class="primary" disabled={busy || chosen.size === 0}>
          {t('slips.issue')}
        </button>
      </div>
    </form>
  );
}

function SlipFacts({ d }: { d: SlipDetail }) {
  const s = d.slip;
  const rows: [string, ComponentChildren][] = [
    ['slips.col.io', `${t(`slips.io.${s.ioType}`)} · ${t(`slips.gate.${s.gateMode}`)}`],
    ['slips.col.vehicle', s.vehicleIcNo ? `${s.vehicleNo} (${s.vehicleIcNo})` : s.vehicleNo],
    ['slips.field.containers', s.containerNos.length ? s.containerNos.join(', ') : t('slips.none')],
    ['slips.field.seals', s.sealIds.length ? s.sealIds.join(', ') : t('slips.none')],
    ['slips.field.vehicleWt', s.vehicleWtKg !== undefined ? `${kg(s.vehicleWtKg)} kg` : '—'],
    ...(s.containerWtKg !== undefined ? [['slips.field.containerWt', `${kg(s.containerWtKg)} kg`] as [string, string]] : []),
    ['slips.field.totalGross', `${kg(s.totalGrossWtKg)} kg`],
    ['slips.field.totalWt', s.totalWtKg !== undefined ? `${kg(s.totalWtKg)} kg` : '—'],
    ['slips.field.issued', `${fmtTime(d.issuedMs)} · ${d.issuedBy}`],
  ];
  return (
    <dl class="slip-facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{t(k)}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function ParcelTable({ d }: { d: SlipDetail }) {
  return (
    <table class="slip-parcels">
      <thead>
        <tr>
          <th scope="col" class="num">
            #
          </th>
          <th scope="col">{t('slips.col.parcel')}</th>
          <th scope="col">{t('slips.col.caseStatus')}</th>
          <th scope="col" class="num">
            {t('slips.col.weight')}
          </th>
        </tr>
      </thead>
      <tbody>
        {d.parcels.map((p, i) => (
          <tr key={p.parcelKey}>
            <td class="num">{i + 1}</td>
            <td>
              <code>{p.parcelKey}</code>
            </td>
            <td>{p.caseStatus ? <CaseStatusPill status={p.caseStatus} /> : '—'}</td>
            <td class="num">{kg(p.declaredWeightKg)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const qrSrc = (no: string) => `/api/slips/${encodeURIComponent(no)}/qr.svg`;

function SlipView({ no, canAct }: { no: string; canAct: boolean }) {
  const d = useAsync((signal) => api<SlipDetail>(`/api/slips/${encodeURIComponent(no)}`, { signal }), [no]);
  const [voiding, setVoiding] = useState(false);
  const [notice, setNotice] = useState('');
  const live = d.data && ['applied', 'approved', 'passed_gate1'].includes(d.data.slip.status);
  useInterval(d.reload, !!live && !voiding);
  const doVoid = async (reason: string) => {
    await api(`/api/slips/${encodeURIComponent(no)}/void`, { method: 'POST', body: { reason } });
    setVoiding(false);
    setNotice(t('slips.voided', { no }));
    d.reload();
  };
  return (
    <section aria-labelledby="page-title" class="slips">
      <p>
        <a href={href('slips')}>← {t('slips.back')}</a>
      </p>
      <h1 id="page-title">{t('slips.detail', { no })}</h1>
      <p role="status" class="slips-notice">
        {notice}
      </p>
      <ErrorBox error={d.error} />
      {!d.data ? (
        d.loading ? <Loading /> : null
      ) : (
        <>
          <div class="slip-head">
            <div>
              <p class="slip-status">
                <SlipPill status={d.data.slip.status} /> {live ? <span class="muted">{t('slips.autoRefresh', { s: REFRESH_S })}</span> : null}
              </p>
              {d.data.voidReason ? <p>{t('slips.voidReason', { reason: d.data.voidReason, by: d.data.voidedBy ?? '' })}</p> : null}
              <SlipFacts d={d.data} />
              <div class="row">
                <a class="button" href={href('slips', no, 'print')}>
                  {t('slips.print')}
                </a>
                {canAct && (d.data.slip.status === 'approved' || d.data.slip.status === 'applied') ? (
                  <button type="button" class="danger" onClick={() => setVoiding(true)}>
                    {t('slips.void')}
                  </button>
                ) : null}
              </div>
            </div>
            <figure class="slip-qr">
              <img src={qrSrc(no)} alt={t('slips.qr.alt', { no })} width={180} height={180} />
              <figcaption>{t('slips.qr')}</figcaption>
            </figure>
          </div>
          {d.data.blockedAtGate.length > 0 ? (
            <div class="error" role="alert">
              {t('slips.blocked', { n: d.data.blockedAtGate.length })} {d.data.blockedAtGate.map((b) => b.parcelKey).join(', ')}
            </div>
          ) : null}
          <h2>{t('slips.parcels', { n: d.data.parcels.length })}</h2>
          <div class="table-wrap">
            <ParcelTable d={d.data} />
          </div>
        </>
      )}
      {voiding ? (
        <ReasonDialog title={t('slips.void.title', { no })} onConfirm={doVoid} onCancel={() => setVoiding(false)}>
          <p>{t('slips.void.help')}</p>
        </ReasonDialog>
      ) : null}
    </section>
  );
}

/** What goes to the printer: the slip on one page for the driver, with its QR; the frame is hidden by @media print. */
function SlipPrint({ no }: { no: string }) {
  const d = useAsync((signal) => api<SlipDetail>(`/api/slips/${encodeURIComponent(no)}`, { signal }), [no]);
  return (
    <section aria-labelledby="page-title" class="slip-print">
      <div class="row no-print">
        <a href={href('slips', no)}>← {t('slips.detail', { no })}</a>
        <button type="button" class="primary" onClick={() => window.print()}>
          {t('action.print')}
        </button>
      </div>
      <ErrorBox error={d.error} />
      {!d.data ? (
        d.loading ? <Loading /> : null
      ) : (
        <article class="slip-sheet">
          <header>
            <div>
              <p class="muted">{t('slips.print.zone')}</p>
              <h1 id="page-title">{t('slips.print.title')}</h1>
              <p class="slip-no">
                <code>{d.data.slip.passportNo}</code>
              </p>
              <p>
                <SlipPill status={d.data.slip.status} />
              </p>
            </div>
            <img class="slip-print-qr" src={qrSrc(no)} alt={t('slips.qr.alt', { no })} width={200} height={200} />
          </header>
          <SlipFacts d={d.data} />
          <h2>{t('slips.parcels', { n: d.data.parcels.length })}</h2>
          <ParcelTable d={d.data} />
          <footer>
            <div>{t('slips.print.sign')}：</div>
            <div>{t('slips.print.driver')}：</div>
            <div class="muted">{t('slips.print.printed', { time: fmtTime(Date.now()) })}</div>
          </footer>
        </article>
      )}
    </section>
  );
}
