import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, MoreButton, Pill, useAsync } from '../components.tsx';
import { fmtDecimal, fmtNumber, fmtTime, t } from '../i18n/index.ts';
import { href, type Route } from '../router.ts';
import type { Me } from '../session.ts';
import { buildTimeline, DocumentFields, ICONS, receiptLabel, receiptTone, type AuditEntry, type CaseReason, type DocumentEntry, type Receipt, type Step, type StoredEvent, type Tone } from './parcels-parts.tsx';
import './parcels.css';

/**
 * Parcel search and timeline (包裹查询与轨迹). `#/parcels?q=…` searches one box for a waybill no. (or its start), an
 * order no., an SSCC, an EPC or a release-slip no. (GET /api/search, keyset pages); `#/parcels/<key>` shows the parcel's
 * journey — documents in, customs receipts, the engine's decisions with their risk reasons, officer actions, scans,
 * weights, X-ray, line lanes and gate passages, each with who, where and when (China time) — and its documents.
 * Personal data comes masked from the hub except for officers (the hub decides; the page only shows what it gets).
 */

interface SearchHit {
  parcelKey: string;
  matched: { kind: string; value: string }[];
  parcel: { state: string; lastStationId: string; lastWallMs: number } | null;
  customs: { status: string; orderNo: string; riskLevel: string; buyerIdMasked: string | null; updatedMs: number } | null;
}
interface CaseRecord {
  parcelKey: string;
  orderNo: string;
  status: string;
  riskLevel: string;
  tradeMode: string | null;
  decidedBy: string;
  reasons: CaseReason[];
  buyerIdMasked: string | null;
  /** Exact decimal string. */
  valueCny: string | null;
  declaredWeightKg: number | null;
  ebcCode: string | null;
}
interface ParcelView {
  parcel: { parcelKey: string; state: string; lastStationId: string; grossWeightKg: number | null; xrayVerdict: string | null; firstWallMs: number; updatedMs: number } | null;
  timeline: StoredEvent[];
  customs: { case: CaseRecord; receipts: Receipt[] } | null;
  /** One coherent state (shared/parcel-standing.ts); absent from an older hub. */
  standing?: { state: string; waitingFor: string; nextActor: string; line: string };
  slip?: { passportNo: string; status: string } | null;
}
interface CaseDetail {
  case: CaseRecord;
  documents: DocumentEntry[];
  piiMasked: boolean;
}

const READS_CUSTOMS = new Set(['officer', 'manager', 'admin']);
const SIGNATURE_TONE: Record<NonNullable<DocumentEntry['signature']>['status'], Tone> = { verified: 'ok', unverified: 'warn', invalid: 'bad', absent: 'muted' };

const STATUS_TONE: Record<string, Tone> = { released: 'ok', pending: 'info', held: 'bad', inspection: 'warn', seized: 'bad', returned: 'warn', destroyed: 'bad', awaiting_release: 'info', cancelled: 'muted' };
const STATE_TONE: Record<string, Tone> = { in_zone: 'info', inspection: 'warn', on_hold: 'bad', released: 'ok', seized: 'bad', returned: 'warn', destroyed: 'bad', exited: 'muted' };
const RISK_TONE: Record<string, Tone> = { low: 'ok', medium: 'warn', high: 'bad' };

export function ParcelsPage({ route, me }: { route: Route; me: Me }) {
  const key = route.rest[0];
  return key ? <ParcelDetail parcelKey={key} me={me} /> : <SearchView q={route.query.get('q') ?? ''} />;
}

function searchHref(q: string) {
  return `${href('parcels')}${qs({ q })}`;
}

function SearchView({ q }: { q: string }) {
  const [text, setText] = useState(q);
  // Which query the rows answer: on a new query the first render comes before its load starts, and must not say "none".
  const [pages, setPages] = useState<{ q: string; items: SearchHit[]; nextCursor: string | null }>({ q: '', items: [], nextCursor: null });
  const [more, setMore] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: undefined });
  useEffect(() => setText(q), [q]);
  const first = useAsync(async (signal) => {
    if (!q) return null;
    const page = await api<{ items: SearchHit[]; nextCursor: string | null }>(`/api/search${qs({ q, limit: 50 })}`, { signal });
    // An exact waybill no. names one parcel: open its journey instead of a list of one (issue 17 item 10). Replace,
    // not push, so Back returns to where the search started rather than bouncing into the journey again.
    const exact = page.items.find((h) => h.matched.some((m) => m.kind === 'parcelKey'));
    if (exact && !signal.aborted) {
      window.location.replace(href('parcels', exact.parcelKey));
      return page;
    }
    setPages({ q, ...page });
    return page;
  }, [q]);
  const loadMore = async () => {
    setMore({ busy: true, error: undefined });
    try {
      const page = await api<{ items: SearchHit[]; nextCursor: string | null }>(`/api/search${qs({ q, limit: 50, cursor: pages.nextCursor })}`);
      setPages((p) => ({ q: p.q, items: [...p.items, ...page.items], nextCursor: page.nextCursor }));
      setMore({ busy: false, error: undefined });
    } catch (error) {
      setMore({ busy: false, error });
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const v = text.trim();
    if (v) window.location.hash = searchHref(v);
  };
  return (
    <section aria-labelledby="page-title" class="parcels">
      <h1 id="page-title">{t('parcels.title')}</h1>
      <form class="panel row search-form" role="search" onSubmit={submit}>
        <div class="grow">
          <label for="parcel-q">{t('parcels.search.label')}</label>
          <input id="parcel-q" name="q" type="search" autocomplete="off" maxLength={64} placeholder={t('parcels.search.placeholder')} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="primary">
          {t('action.search')}
        </button>
      </form>
      {!q ? (
        <p class="muted">{t('parcels.search.hint')}</p>
      ) : first.error && !first.loading ? (
        <ErrorBox error={first.error} />
      ) : pages.q !== q ? (
        <Loading />
      ) : pages.items.length === 0 ? (
        <p class="muted" role="status">
          {t('parcels.search.none', { q })}
        </p>
      ) : (
        <>
          <p class="muted" role="status">
            {t(pages.nextCursor ? 'parcels.search.countMore' : 'parcels.search.count', { n: pages.items.length })}
          </p>
          <div class="table-wrap">
            <table class="results">
              <caption class="sr-only">{t('parcels.search.caption', { q })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('parcels.col.key')}</th>
                  <th scope="col">{t('parcels.col.matched')}</th>
                  <th scope="col">{t('parcels.col.customs')}</th>
                  <th scope="col">{t('parcels.col.state')}</th>
                  <th scope="col">{t('parcels.col.orderNo')}</th>
                  <th scope="col">{t('parcels.col.lastSeen')}</th>
                </tr>
              </thead>
              <tbody>
                {pages.items.map((h) => (
                  <tr key={h.parcelKey}>
                    <th scope="row">
                      <a href={href('parcels', h.parcelKey)}>{h.parcelKey}</a>
                    </th>
                    <td>
                      {h.matched.map((m) => (
                        <span class="matched" key={`${m.kind}:${m.value}`}>
                          {t(`parcels.match.${m.kind}`)}
                          {m.kind !== 'parcelKey' ? <code>{m.value}</code> : null}
                        </span>
                      ))}
                    </td>
                    <td>{h.customs ? <Pill tone={STATUS_TONE[h.customs.status] ?? 'muted'}>{t(`parcels.status.${h.customs.status}`)}</Pill> : <span class="muted">{t('parcels.noCase')}</span>}</td>
                    <td>{h.parcel ? <Pill tone={STATE_TONE[h.parcel.state] ?? 'muted'}>{t(`parcels.state.${h.parcel.state}`)}</Pill> : <span class="muted">{t('parcels.notSeen')}</span>}</td>
                    <td>{h.customs?.orderNo ?? '—'}</td>
                    <td>{h.parcel ? `${fmtTime(h.parcel.lastWallMs)} · ${h.parcel.lastStationId}` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ErrorBox error={more.error} />
          <MoreButton next={pages.nextCursor} onMore={loadMore} busy={more.busy} />
        </>
      )}
    </section>
  );
}

/** A 404 is an answer ("no case yet"), not an error, for the optional parts of the view. */
const orNull = <T,>(p: Promise<T>): Promise<T | null> => p.catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)));

function ParcelDetail({ parcelKey, me }: { parcelKey: string; me: Me }) {
  const [tab, setTab] = useState<'timeline' | 'documents'>('timeline');
  const readsCustoms = READS_CUSTOMS.has(me.role);
  const enc = encodeURIComponent(parcelKey);
  const data = useAsync(
    async (signal) => {
      const [view, detail, audit] = await Promise.all([
        api<ParcelView>(`/api/parcels/${enc}`, { signal }),
        readsCustoms ? orNull(api<CaseDetail>(`/api/cases/${enc}`, { signal })) : Promise.resolve(null),
        readsCustoms ? api<{ items: AuditEntry[]; nextAfterSeq: number | null }>(`/api/parcels/${enc}/audit${qs({ limit: 500 })}`, { signal }) : Promise.resolve(null),
      ]);
      return { view, detail, audit };
    },
    [parcelKey],
  );
  const switchTab = (e: KeyboardEvent) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const next = tab === 'timeline' ? 'documents' : 'timeline';
      setTab(next);
      document.getElementById(`tab-${next}`)?.focus();
    }
  };
  const c = data.data?.detail?.case ?? data.data?.view.customs?.case ?? null;
  const p = data.data?.view.parcel ?? null;
  return (
    <section aria-labelledby="page-title" class="parcels">
      <p class="no-print">
        <a href={href('parcels')}>{t('parcels.back')}</a>
      </p>
      <h1 id="page-title">
        {t('parcels.detail.title')} <span class="mono">{parcelKey}</span>
      </h1>
      {data.loading && !data.data ? <Loading /> : null}
      <ErrorBox error={data.error} />
      {data.data ? (
        <>
          {data.data.view.standing ? <Standing s={data.data.view.standing} slip={data.data.view.slip ?? null} /> : null}
          <div class="panel summary">
            <dl>
              <div>
                <dt>{t('parcels.col.state')}</dt>
                <dd>
                  {p ? (
                    <Pill tone={STATE_TONE[p.state] ?? 'muted'}>{t(`parcels.state.${p.state}`)}</Pill>
                  ) : data.data.view.standing?.line === 'exited' ? (
                    <Pill tone="muted">{t('parcels.standing.line.exited')}</Pill>
                  ) : (
                    <span class="muted">{t('parcels.notSeen')}</span>
                  )}
                </dd>
              </div>
              <div>
                <dt>{t('parcels.col.customs')}</dt>
                <dd>{c ? <Pill tone={STATUS_TONE[c.status] ?? 'muted'}>{t(`parcels.status.${c.status}`)}</Pill> : <span class="muted">{t('parcels.noCase')}</span>}</dd>
              </div>
              {c ? (
                <>
                  <div>
                    <dt>{t('parcels.risk')}</dt>
                    <dd>
                      <Pill tone={RISK_TONE[c.riskLevel] ?? 'muted'}>{t(`parcels.risk.${c.riskLevel}`)}</Pill>
                    </dd>
                  </div>
                  <div>
                    <dt>{t('parcels.col.orderNo')}</dt>
                    <dd class="mono">{c.orderNo}</dd>
                  </div>
                  <div>
                    <dt>{t('parcels.tradeMode')}</dt>
                    <dd>{c.tradeMode ?? '—'}</dd>
                  </div>
                  <div>
                    <dt>{t('parcels.buyerId')}</dt>
                    <dd class="mono">{c.buyerIdMasked ?? '—'}</dd>
                  </div>
                  <div>
                    <dt>{t('parcels.value')}</dt>
                    <dd>{c.valueCny === null ? '—' : `¥${fmtDecimal(c.valueCny, 2)}`}</dd>
                  </div>
                </>
              ) : null}
              {p ? (
                <div>
                  <dt>{t('parcels.weight')}</dt>
                  <dd>
                    {p.grossWeightKg === null ? '—' : `${fmtNumber(p.grossWeightKg, 3)} kg`}
                    {c?.declaredWeightKg ? <span class="muted"> / {t('parcels.declared', { kg: fmtNumber(c.declaredWeightKg, 3) })}</span> : null}
                  </dd>
                </div>
              ) : null}
            </dl>
          </div>
          <div role="tablist" aria-label={t('parcels.tabs')} class="tabs no-print" onKeyDown={switchTab}>
            {(['timeline', 'documents'] as const).map((id) => (
              <button type="button" role="tab" id={`tab-${id}`} key={id} aria-selected={tab === id} aria-controls={`panel-${id}`} tabIndex={tab === id ? 0 : -1} onClick={() => setTab(id)}>
                {t(`parcels.tab.${id}`)}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {tab === 'timeline' ? (
              <Timeline view={data.data.view} detail={data.data.detail} audit={data.data.audit?.items ?? []} auditTruncated={data.data.audit?.nextAfterSeq != null} />
            ) : (
              <Documents parcelKey={parcelKey} me={me} detail={data.data.detail} receipts={data.data.view.customs?.receipts ?? []} readsCustoms={readsCustoms} />
            )}
          </div>
        </>
      ) : null}
    </section>
  );
}

const STANDING_TONE: Record<string, Tone> = { exited: 'muted', closed: 'muted', line_exception: 'bad', undeclared: 'warn', pending_review: 'info', held: 'bad', inspection_ordered: 'warn', inspected_awaiting_release: 'info', concluded_awaiting_release: 'info', released_diverted: 'warn', released_awaiting_slip: 'ok', released_awaiting_gate: 'ok' };

/** What the parcel waits for and who acts next, with what the line did beside it (issue 17 item 3). */
function Standing({ s, slip }: { s: NonNullable<ParcelView['standing']>; slip: ParcelView['slip'] }) {
  return (
    <div class="panel standing" data-standing={s.state} aria-labelledby="standing-title">
      <h2 id="standing-title" class="small">
        {t('parcels.standing.title')}
      </h2>
      <p>
        <Pill tone={STANDING_TONE[s.state] ?? 'muted'}>{t(`parcels.standing.state.${s.state}`)}</Pill>
      </p>
      <dl>
        <div>
          <dt>{t('parcels.standing.waitingFor')}</dt>
          <dd data-waiting-for={s.waitingFor}>{t(`parcels.standing.waiting.${s.waitingFor}`)}</dd>
        </div>
        <div>
          <dt>{t('parcels.standing.nextActor')}</dt>
          <dd data-next-actor={s.nextActor}>{t(`parcels.standing.actor.${s.nextActor}`)}</dd>
        </div>
        <div>
          <dt>{t('parcels.standing.lineSays')}</dt>
          <dd data-line={s.line}>{t(`parcels.standing.line.${s.line}`)}</dd>
        </div>
        {slip ? (
          <div>
            <dt>{t('parcels.standing.slip')}</dt>
            <dd>
              <a class="mono" href={href('slips', slip.passportNo)}>
                {slip.passportNo}
              </a>
            </dd>
          </div>
        ) : null}
      </dl>
    </div>
  );
}

function Timeline({ view, detail, audit, auditTruncated }: { view: ParcelView; detail: CaseDetail | null; audit: AuditEntry[]; auditTruncated: boolean }) {
  const [showViews, setShowViews] = useState(false);
  const all = buildTimeline({ events: view.timeline, audit, documents: detail?.documents ?? [], receipts: view.customs?.receipts ?? [], reasons: (detail?.case ?? view.customs?.case)?.reasons ?? [] });
  const steps = showViews ? all : all.filter((s) => !s.isView);
  return (
    <div class="panel">
      <div class="row timeline-tools no-print">
        <label class="check">
          <input type="checkbox" checked={showViews} onChange={(e) => setShowViews((e.target as HTMLInputElement).checked)} />
          {t('parcels.showViews', { n: all.filter((s) => s.isView).length })}
        </label>
      </div>
      {steps.length === 0 ? <Empty /> : null}
      <ol class="timeline" aria-label={t('parcels.tab.timeline')}>
        {steps.map((s) => (
          <TimelineStep step={s} key={s.key} />
        ))}
      </ol>
      {view.timeline.length >= 1000 || auditTruncated ? <p class="muted">{t('parcels.truncated')}</p> : null}
    </div>
  );
}

function TimelineStep({ step: s }: { step: Step }) {
  return (
    <li class={`step step-${s.tone}`} data-kind={s.kind}>
      <span class="icon" aria-hidden="true">
        {ICONS[s.kind]}
      </span>
      <div class="body">
        <div class="head">
          <time dateTime={new Date(s.atMs).toISOString()}>{fmtTime(s.atMs)}</time>
          <Pill tone={s.tone}>{t(`parcels.kind.${s.kind}`)}</Pill>
          <strong class="title">{s.title}</strong>
        </div>
        {s.details.length > 0 ? (
          <ul class="details">
            {s.details.map((d, i) => (
              <li key={i}>{d}</li>
            ))}
          </ul>
        ) : null}
        <div class="meta">
          {s.who ? (
            <span class="who">
              {t('parcels.who')}: {s.who}
            </span>
          ) : null}
          {s.where ? (
            <span class="where">
              {t('parcels.where')}: {s.where}
            </span>
          ) : null}
        </div>
      </div>
    </li>
  );
}

function Documents({ parcelKey, me, detail, receipts, readsCustoms }: { parcelKey: string; me: Me; detail: CaseDetail | null; receipts: Receipt[]; readsCustoms: boolean }) {
  if (!readsCustoms) return <p class="panel muted">{t('parcels.docs.roleOnly')}</p>;
  if (!detail) return <p class="panel muted">{t('parcels.noCase')}</p>;
  const docs = detail.documents.filter((d) => d.kind !== 'receipt');
  return (
    <div>
      <p class="muted" role="note">
        {detail.piiMasked ? t('parcels.docs.masked') : t('parcels.docs.unmasked')}
      </p>
      {docs.map((d) => (
        <section class="panel doc" key={`${d.kind}:${d.key}`} aria-labelledby={`doc-${d.kind}`}>
          <h2 id={`doc-${d.kind}`}>
            {t(`parcels.doc.${d.kind}`)} <span class="muted mono">{d.key}</span>
          </h2>
          <p class="muted">{t('parcels.docs.received', { at: fmtTime(d.receivedMs) })}</p>
          <p>
            {t('parcels.sig.label')}: <Pill tone={d.signature ? SIGNATURE_TONE[d.signature.status] : 'muted'}>{t(`parcels.sig.${d.signature?.status ?? 'unknown'}`)}</Pill>{' '}
            {d.signature && d.signature.status !== 'verified' ? <span class="muted">{d.signature.message}</span> : null}
          </p>
          <DocumentFields body={d.body} />
          {me.role === 'officer' ? <Original parcelKey={parcelKey} kind={d.kind} /> : null}
        </section>
      ))}
      <section class="panel" aria-labelledby="receipts-title">
        <h2 id="receipts-title">{t('parcels.docs.receipts')}</h2>
        {receipts.length === 0 ? (
          <Empty />
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('parcels.receipt.time')}</th>
                  <th scope="col">{t('parcels.receipt.message')}</th>
                  <th scope="col">{t('parcels.receipt.document')}</th>
                  <th scope="col">{t('parcels.receipt.status')}</th>
                  <th scope="col">{t('parcels.receipt.info')}</th>
                </tr>
              </thead>
              <tbody>
                {receipts.map((r, i) => (
                  <tr key={i}>
                    <td>{r.returnTime}</td>
                    <td>{r.messageType}</td>
                    <td>{t(`parcels.doc.${r.document}`)}</td>
                    <td>
                      <Pill tone={receiptTone(r.returnStatus)}>{receiptLabel(r.returnStatus)}</Pill>
                    </td>
                    <td>{r.returnInfo || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

/** The message as customs received it; loaded on request (it is large, and each view is audited). */
function Original({ parcelKey, kind }: { parcelKey: string; kind: string }) {
  const [state, setState] = useState<{ xml?: string; error?: unknown; busy?: boolean }>({});
  const load = async () => {
    setState({ busy: true });
    try {
      const r = await api<{ xml: string }>(`/api/parcels/${encodeURIComponent(parcelKey)}/originals/${encodeURIComponent(kind)}`);
      setState({ xml: r.xml });
    } catch (error) {
      setState({ error });
    }
  };
  if (state.xml !== undefined)
    return (
      <details open class="original">
        <summary>{t('parcels.docs.original')}</summary>
        <pre tabIndex={0}>{state.xml}</pre>
      </details>
    );
  return (
    <div class="no-print">
      {state.error instanceof ApiError && state.error.status === 404 ? <p class="muted">{t('parcels.docs.noOriginal')}</p> : <ErrorBox error={state.error} />}
      {!state.error ? (
        <button type="button" disabled={state.busy} onClick={() => void load()}>
          {t('parcels.docs.showOriginal')}
        </button>
      ) : null}
    </div>
  );
}
