import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { Empty, ErrorBox, Loading, Pill, useAsync } from '../components.tsx';
import { fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';

/** GET /api/bonded/… (hub/services/bonded.ts). Quantities are exact decimal strings: shown as they come, never as floats. */
interface Item {
  gdsSeqno: number; gdsMtno: string; gdecd: string; gdsNm: string; dclUnitcd: string;
  openingQty: string; actlIncQty: string; actlRedcQty: string; prevdIncQty: string; prevdRedcQty: string; balanceQty: string; availableQty: string; storageLimitQty: string | null;
  states: Record<string, string>;
}
interface Move { receiptId: string; line: number; kind: string; qty: string; listNo: string; receiptType: string; atMs: number }
interface List { etpsInnerInvtNo: string; bondInvtNo: string | null; kind: string; listStat: string; vrfdedMarkcd: string; entryReleased: boolean; lines: { gdsSeqno: number; dclQty: string }[]; createdMs: number }
interface Slip { etpsPreentNo: string; passportNo: string | null; legacyNo: string | null; passportTypecd: string; bindTypecd: string; stucd: string; vehicleNo: string; totalWt: string; rltNos: string[] }
interface Recon { day: string | null; rows: Record<string, string | number>[] }

const TABS = ['book', 'lists', 'slips', 'recon'] as const;
const STATES = ['bonded', 'list_applied', 'slip_applied', 'written_off'] as const;

export function BondedPage({ me }: { route: Route; me: Me }) {
  const [tab, setTab] = useState<(typeof TABS)[number]>('book');
  const acts = me.role === 'officer' || me.role === 'manager';
  return (
    <section aria-labelledby="page-title" class="bonded-page">
      <h1 id="page-title">{t('bonded.title')}</h1>
      <div role="tablist" aria-label={t('bonded.title')}>
        {TABS.map((id) => (
          <button type="button" role="tab" key={id} id={`tab-${id}`} aria-selected={tab === id} aria-controls={`panel-${id}`} onClick={() => setTab(id)}>
            {t(`bonded.tab.${id}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'book' && <Book />}
        {tab === 'lists' && <Lists acts={acts} />}
        {tab === 'slips' && <Slips acts={acts} />}
        {tab === 'recon' && <Reconciliation canRun={me.role === 'manager' || me.role === 'admin'} />}
      </div>
    </section>
  );
}

function Book() {
  const { data, error, loading } = useAsync((signal) => api<{ emsNo: string; items: Item[] }>('/api/bonded/book', { signal }), []);
  const [open, setOpen] = useState<number | null>(null);
  if (loading && !data) return <Loading />;
  // No `bonded` section in the hub's configuration: the routes are not there.
  if (error instanceof ApiError && error.status === 404) return <p class="muted">{t('bonded.notConfigured')}</p>;
  if (error) return <ErrorBox error={error} />;
  if (!data?.items.length) return <Empty />;
  const cols = ['gdsSeqno', 'gdsMtno', 'gdecd', 'gdsNm', 'unit', 'opening', 'actlInc', 'actlRedc', 'prevdInc', 'prevdRedc', 'balance', 'available', 'limit', 'states'];
  return (
    <>
      <p class="muted">{t('bonded.emsNo', { emsNo: data.emsNo })}</p>
      <table>
        <thead>
          <tr>{cols.map((c) => <th key={c} scope="col">{t(`bonded.col.${c}`)}</th>)}</tr>
        </thead>
        <tbody>
          {data.items.map((i) => (
            <tr key={i.gdsSeqno}>
              <td>
                <button type="button" class="link" aria-expanded={open === i.gdsSeqno} onClick={() => setOpen(open === i.gdsSeqno ? null : i.gdsSeqno)}>
                  {i.gdsSeqno}
                </button>
              </td>
              <td>{i.gdsMtno}</td>
              <td>{i.gdecd}</td>
              <td>{i.gdsNm}</td>
              <td>{i.dclUnitcd}</td>
              <td class="num">{i.openingQty}</td>
              <td class="num">{i.actlIncQty}</td>
              <td class="num">{i.actlRedcQty}</td>
              <td class="num">{i.prevdIncQty}</td>
              <td class="num">{i.prevdRedcQty}</td>
              <td class="num"><strong>{i.balanceQty}</strong></td>
              <td class="num">{i.availableQty}</td>
              <td class="num">{i.storageLimitQty ?? '—'}</td>
              <td>{STATES.filter((s) => (i.states[s] ?? '0') !== '0').map((s) => <span key={s}>{t(`bonded.state.${s}`)} {i.states[s]} </span>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open !== null && <Moves seq={open} />}
    </>
  );
}

function Moves({ seq }: { seq: number }) {
  const { data, error, loading } = useAsync((signal) => api<Item & { moves: Move[] }>(`/api/bonded/items/${seq}`, { signal }), [seq]);
  if (loading && !data) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  return (
    <section aria-labelledby="moves-title">
      <h2 id="moves-title">{t('bonded.moves.title', { seq })}</h2>
      {!data?.moves.length ? (
        <Empty />
      ) : (
        <table>
          <thead>
            <tr>{['kind', 'qty', 'list', 'receipt', 'at'].map((c) => <th key={c} scope="col">{t(`bonded.col.${c}`)}</th>)}</tr>
          </thead>
          <tbody>
            {data.moves.map((m) => (
              <tr key={`${m.receiptId}-${m.line}`}>
                <td>{t(`bonded.move.${m.kind}`)}</td>
                <td class="num">{m.qty}</td>
                <td>{m.listNo}</td>
                <td>{m.receiptType} · {m.receiptId}</td>
                <td>{fmtTime(m.atMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Lists({ acts }: { acts: boolean }) {
  const { data, error, loading, reload } = useAsync((signal) => api<{ items: List[] }>('/api/bonded/lists', { signal }), []);
  const [actionError, post] = usePost(reload);
  if (loading && !data) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  if (!data?.items.length) return <Empty />;
  const declare = (no: string) => post(`/api/bonded/lists/${encodeURIComponent(no)}/declare`);
  return (
    <>
      <ErrorBox error={actionError} />
      <table>
        <thead>
          <tr>{['listNo', 'listKind', 'listStat', 'vrfded', 'released', 'lines', 'at', 'actions'].map((c) => <th key={c} scope="col">{t(`bonded.col.${c}`)}</th>)}</tr>
        </thead>
        <tbody>
          {data.items.map((l) => (
            <tr key={l.etpsInnerInvtNo}>
              <td>{l.bondInvtNo ?? l.etpsInnerInvtNo}</td>
              <td>{t(`bonded.kind.${l.kind}`)}</td>
              <td><Pill tone={l.listStat === 'approved' ? 'ok' : l.listStat === 'rejected' ? 'bad' : 'info'}>{t(`bonded.listStat.${l.listStat}`)}</Pill></td>
              <td>{t(`bonded.vrfded.${l.vrfdedMarkcd}`)}</td>
              <td>{t(l.entryReleased ? 'bonded.yes' : 'bonded.no')}</td>
              <td>{l.lines.map((x) => `#${x.gdsSeqno} × ${x.dclQty}`).join(', ')}</td>
              <td>{fmtTime(l.createdMs)}</td>
              <td>{acts && (l.listStat === 'draft' || l.listStat === 'rejected') && <button type="button" onClick={() => void declare(l.etpsInnerInvtNo)}>{t('bonded.action.declare')}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** A POST that changes what the tab shows: its error (cleared on the next try) and the reload after it. */
function usePost(reload: () => void): [unknown, (path: string) => Promise<void>] {
  const [error, setError] = useState<unknown>();
  const post = async (path: string) => {
    try {
      setError(undefined);
      await api(path, { method: 'POST', body: {} });
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return [error, post];
}

function Slips({ acts }: { acts: boolean }) {
  const { data, error, loading, reload } = useAsync((signal) => api<{ items: Slip[] }>('/api/bonded/slips', { signal }), []);
  const [actionError, post] = usePost(reload);
  if (loading && !data) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  if (!data?.items.length) return <Empty />;
  const apply = (no: string) => post(`/api/bonded/slips/${encodeURIComponent(no)}/apply`);
  return (
    <>
      <ErrorBox error={actionError} />
      <table>
        <thead>
          <tr>{['passportNo', 'type', 'bind', 'stucd', 'vehicle', 'totalWt', 'rlt', 'actions'].map((c) => <th key={c} scope="col">{t(`bonded.col.${c}`)}</th>)}</tr>
        </thead>
        <tbody>
          {data.items.map((s) => (
            <tr key={s.etpsPreentNo}>
              <td>{s.passportNo ?? (s.legacyNo ? t('bonded.legacy', { no: s.legacyNo }) : <span class="muted">{t('bonded.pending')}</span>)}</td>
              <td>{s.passportTypecd} {t(`bonded.type.${s.passportTypecd}`)}</td>
              <td>{t(`bonded.bind.${s.bindTypecd}`)}</td>
              <td><Pill tone={s.stucd === '1' ? 'ok' : s.stucd === 'rejected' ? 'bad' : s.stucd === '2' || s.stucd === '4' ? 'muted' : 'info'}>{t(`bonded.stucd.${s.stucd}`)}</Pill></td>
              <td>{s.vehicleNo}</td>
              <td class="num">{s.totalWt}</td>
              <td>{s.rltNos.join(', ')}</td>
              <td>{acts && !s.legacyNo && (s.stucd === 'draft' || s.stucd === 'rejected') && <button type="button" onClick={() => void apply(s.etpsPreentNo)}>{t('bonded.action.applySlip')}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Reconciliation({ canRun }: { canRun: boolean }) {
  const { data, error, loading, reload } = useAsync((signal) => api<Recon>('/api/bonded/reconciliation', { signal }), []);
  const [actionError, post] = usePost(reload);
  const run = () => post('/api/bonded/reconciliation');
  if (loading && !data) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  const diffs = (data?.rows ?? []).filter((r) => String(r.diff_qty) !== '0').length;
  return (
    <>
      {canRun && <button type="button" class="primary" onClick={() => void run()}>{t('bonded.action.reconcile')}</button>}
      <ErrorBox error={actionError} />
      {!data?.day ? (
        <p class="muted">{t('bonded.recon.none')}</p>
      ) : (
        <>
          <p>
            {t('bonded.recon.day', { day: data.day })} · <Pill tone={diffs ? 'bad' : 'ok'}>{t(diffs ? 'bonded.recon.diff' : 'bonded.recon.ok')}</Pill>
          </p>
          <table>
            <thead>
              <tr>{['gdsSeqno', 'gdsMtno', 'balance', 'expected', 'physical', 'diff'].map((c) => <th key={c} scope="col">{t(`bonded.col.${c}`)}</th>)}</tr>
            </thead>
            <tbody>
              {data.rows.map((r) => (
                <tr key={`${r.ems_no}-${r.gds_seqno}`} class={String(r.diff_qty) !== '0' ? 'bad' : undefined}>
                  <td>{r.gds_seqno}</td>
                  <td>{r.gds_mtno}</td>
                  <td class="num">{r.balance_qty}</td>
                  <td class="num">{r.expected_qty}</td>
                  <td class="num">{r.physical_qty}</td>
                  <td class="num"><strong>{r.diff_qty}</strong></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
