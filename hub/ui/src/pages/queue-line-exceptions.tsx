import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, ErrorBox, Loading, Pill, ReasonDialog, useAsync } from '../components.tsx';
import { fmtDuration, fmtNumber, fmtTime, t } from '../i18n/index.ts';
import { LineReasonText, type LineReasonLike } from '../reason.tsx';
import { href } from '../router.ts';

/**
 * Line exceptions (issue 17 item 2): parcels the line diverted to inspection or exception with no customs declaration —
 * no case, so not in the case queue above. Its own section of the officers' queue, oldest first, each with a handle
 * action (a reason, audited at the hub). Mirrors hub/services/line-exceptions.ts `LineExceptionEntry`.
 */
interface LineExceptionEntry {
  parcelKey: string;
  stationId: string;
  lane: string;
  /** Codes with parameters, or (an older gateway's event, a row stored before codes) the text as written. */
  reasons: LineReasonLike[];
  firstMs: number;
  lastMs: number;
  status: 'open' | 'handled';
  declared: boolean;
}

export function LineExceptions({ canAct, onCount }: { canAct: boolean; onCount?: (n: number) => void }) {
  const [reload, setReload] = useState(0);
  const [dialog, setDialog] = useState<LineExceptionEntry | null>(null);
  const [loadedMs, setLoadedMs] = useState(Date.now());
  const data = useAsync(
    async (signal) => {
      const r = await api<{ items: LineExceptionEntry[] }>('/api/line-exceptions?view=open', { signal });
      setLoadedMs(Date.now());
      onCount?.(r.items.length);
      return r;
    },
    [reload],
  );
  const handle = async (reason: string) => {
    if (!dialog) return;
    await api(`/api/line-exceptions/${encodeURIComponent(dialog.parcelKey)}/handle`, { method: 'POST', body: { reason } });
    setDialog(null);
    setReload((n) => n + 1);
  };
  const items = data.data?.items ?? [];
  return (
    <section class="panel queue-lx" aria-labelledby="lx-title" data-section="line-exceptions">
      <h2 id="lx-title">
        {t('queue.lx.title')} <span class="muted">({fmtNumber(items.length)})</span>
      </h2>
      <p class="muted small">{t('queue.lx.note')}</p>
      <ErrorBox error={data.error} />
      {data.loading && !data.data ? <Loading /> : null}
      {data.data && items.length === 0 ? <Empty /> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table aria-labelledby="lx-title">
            <thead>
              <tr>
                <th scope="col">{t('queue.lx.col.parcel')}</th>
                <th scope="col">{t('queue.lx.col.lane')}</th>
                <th scope="col">{t('queue.lx.col.station')}</th>
                <th scope="col">{t('queue.lx.col.reasons')}</th>
                <th scope="col" class="num">
                  {t('queue.lx.col.waiting')}
                </th>
                {canAct ? <th scope="col">{t('queue.lx.col.action')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.parcelKey} data-lx={e.parcelKey}>
                  <th scope="row">
                    <a class="mono" href={href('parcels', e.parcelKey)}>
                      {e.parcelKey}
                    </a>{' '}
                    <Pill tone="warn">{t('queue.lx.noDeclaration')}</Pill>
                  </th>
                  <td>{t(`queue.lx.lane.${e.lane}`)}</td>
                  <td>{e.stationId}</td>
                  <td class="small">
                    {e.reasons.length === 0
                      ? '—'
                      : e.reasons.map((r, i) => (
                          <div key={i}>
                            <LineReasonText reason={r} />
                          </div>
                        ))}
                  </td>
                  <td class="num" title={fmtTime(e.firstMs)}>
                    {fmtDuration(Math.max(0, loadedMs - e.firstMs))}
                  </td>
                  {canAct ? (
                    <td>
                      <button type="button" data-lx-handle={e.parcelKey} onClick={() => setDialog(e)}>
                        {t('queue.lx.handle')}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {dialog ? (
        <ReasonDialog title={t('queue.lx.dialog', { parcel: dialog.parcelKey })} onConfirm={handle} onCancel={() => setDialog(null)}>
          <p>{t('queue.lx.dialogNote')}</p>
        </ReasonDialog>
      ) : null}
    </section>
  );
}
