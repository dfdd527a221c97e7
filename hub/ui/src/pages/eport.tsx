import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, Pill, ReasonDialog, useAsync } from '../components.tsx';
import { fmtNumber, fmtTime, t } from '../i18n/index.ts';
import type { Route } from '../router.ts';
import type { Me } from '../session.ts';

const STATES = ['queued', 'sent', 'receipt', 'failed'] as const;
type MessageState = (typeof STATES)[number];
// The CEB messages of issue 18 and the 金二 list and slip of the bonded book (issue 19).
const TYPES = ['CEB711', 'CEB507', 'CEB509', 'INV101', 'SAS121'] as const;

/** GET /api/eport/messages (hub/eport/exchange.ts). */
interface Message {
  guid: string; messageType: string; state: MessageState; subject: string; createdMs: number; attempts: number; lastError: string | null; sentMs: number | null;
  transmission: 'succeeded' | 'failed' | null; formatStatus: string | null; formatInfo: string | null; receiptStatus: string | null; receiptInfo: string | null;
}
interface Receipt { id: string; kind: 'transmission' | 'format' | 'business'; messageType: string | null; status: string | null; info: string | null; fileName: string; receivedMs: number }
interface Filters { state: string; type: string; q: string }
const EMPTY: Filters = { state: '', type: '', q: '' };
const TONE: Record<MessageState, 'ok' | 'warn' | 'bad' | 'info'> = { queued: 'info', sent: 'warn', receipt: 'ok', failed: 'bad' };

export function EportPage({ me }: { route: Route; me: Me }) {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [open, setOpen] = useState<string | null>(null);
  const [resending, setResending] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const list = useAsync((signal) => api<{ items: Message[]; counts: Record<MessageState, number> }>(`/api/eport/messages${qs({ state: filters.state, type: filters.type, q: filters.q, limit: 200 })}`, { signal }), [filters.state, filters.type, filters.q]);
  const field = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  if (list.error instanceof ApiError && list.error.status === 404) return <p class="muted">{t('eport.notConfigured')}</p>;
  return (
    <section aria-labelledby="page-title" class="eport-page">
      <h1 id="page-title">{t('eport.title')}</h1>
      <p class="muted">{t('eport.intro')}</p>
      <form class="row filters" onSubmit={(e) => (e.preventDefault(), setFilters({ ...draft, q: draft.q.trim() }))}>
        <div>
          <label for="eport-state">{t('eport.filter.state')}</label>
          <select id="eport-state" value={draft.state} onChange={field('state')}>
            <option value="">{t('eport.filter.all')}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>{t(`eport.state.${s}`)}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="eport-type">{t('eport.filter.type')}</label>
          <select id="eport-type" value={draft.type} onChange={field('type')}>
            <option value="">{t('eport.filter.all')}</option>
            {TYPES.map((x) => (
              <option key={x} value={x}>{x}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="eport-q">{t('eport.filter.q')}</label>
          <input id="eport-q" value={draft.q} onInput={field('q')} size={20} />
        </div>
        <button type="submit" class="primary">{t('action.search')}</button>
        <button type="button" onClick={() => (setDraft(EMPTY), setFilters(EMPTY))}>{t('action.reset')}</button>
      </form>
      {note ? <p role="status">{note}</p> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : (
        <>
          <div class="grid" role="list">
            {STATES.map((s) => (
              <div class="figure" role="listitem" key={s} data-state={s}>
                <div class="value">{fmtNumber(list.data!.counts[s])}</div>
                <div class="label"><Pill tone={TONE[s]}>{t(`eport.state.${s}`)}</Pill></div>
              </div>
            ))}
          </div>
          {list.data.items.length === 0 ? <Empty /> : (
            <div class="table-wrap" style={{ marginTop: '12px' }}>
              <table class="eport">
                <thead>
                  <tr>
                    <th scope="col">{t('eport.col.created')}</th>
                    <th scope="col">{t('eport.col.type')}</th>
                    <th scope="col">{t('eport.col.subject')}</th>
                    <th scope="col">{t('eport.col.state')}</th>
                    <th scope="col">{t('eport.col.transmission')}</th>
                    <th scope="col">{t('eport.col.format')}</th>
                    <th scope="col">{t('eport.col.receipt')}</th>
                    <th scope="col" class="num">{t('eport.col.attempts')}</th>
                    <th scope="col">{t('eport.col.error')}</th>
                    <th scope="col">{t('eport.receipts')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((m) => (
                    <Fragment key={m.guid}>
                      <tr data-state={m.state}>
                        <td>{fmtTime(m.createdMs)}</td>
                        <td>{m.messageType}</td>
                        <th scope="row" title={m.guid}>{m.subject}</th>
                        <td><Pill tone={TONE[m.state]}>{t(`eport.state.${m.state}`)}</Pill></td>
                        <td>{m.transmission ? t(`eport.transmission.${m.transmission}`) : '—'}</td>
                        <td title={m.formatInfo ?? ''}>{m.formatStatus ?? '—'}</td>
                        <td title={m.receiptInfo ?? ''}>{m.receiptStatus ? `${m.receiptStatus}${m.receiptInfo ? ` ${m.receiptInfo}` : ''}` : '—'}</td>
                        <td class="num">{fmtNumber(m.attempts)}</td>
                        <td>{m.lastError ?? '—'}</td>
                        <td class="row">
                          <button type="button" aria-expanded={open === m.guid} onClick={() => setOpen(open === m.guid ? null : m.guid)}>{t('eport.receipts')}</button>
                          {me.role === 'admin' && (m.state === 'failed' || m.state === 'sent') ? <button type="button" onClick={() => setResending(m.guid)}>{t('eport.resend')}</button> : null}
                        </td>
                      </tr>
                      {open === m.guid ? (
                        <tr>
                          <td colSpan={10}><Receipts guid={m.guid} /></td>
                        </tr>
                      ) : null}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {resending ? (
        <ReasonDialog
          title={t('eport.resend.title', { guid: resending })}
          onCancel={() => setResending(null)}
          onConfirm={async (reason) => {
            await api(`/api/eport/messages/${encodeURIComponent(resending)}/resend`, { method: 'POST', body: { reason } });
            setResending(null);
            setNote(t('eport.resent'));
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function Receipts({ guid }: { guid: string }) {
  const d = useAsync((signal) => api<{ receipts: Receipt[] }>(`/api/eport/messages/${encodeURIComponent(guid)}`, { signal }), [guid]);
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading />;
  if (d.data.receipts.length === 0) return <Empty />;
  return (
    <ul>
      {d.data.receipts.map((r) => (
        <li key={r.id}>
          {fmtTime(r.receivedMs)} · {t(`eport.receipt.kind.${r.kind}`)} {r.messageType ?? ''} · {r.status ?? '—'} {r.info ? `· ${r.info}` : ''} <span class="muted">({r.fileName})</span>
        </li>
      ))}
    </ul>
  );
}
