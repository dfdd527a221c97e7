import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs } from '../api.ts';
import { Empty, ErrorBox, Loading, MoreButton, ReasonDialog, useAsync } from '../components.tsx';
import { fmtDuration, fmtNumber, fmtTime, t } from '../i18n/index.ts';
import { href, type Route } from '../router.ts';
import type { Me } from '../session.ts';
import { actionLabel, LatestBenchFinding, LatestFinding, reasonText, Reasons, RiskPill, setValueLimits, ShortcutHelp, StatusPill, statusLabel, type Action, type CaseStatus, type QueueCase, type RiskLevel } from './queue-parts.tsx';
import { LineExceptions } from './queue-line-exceptions.tsx';
import { RULE_OPTIONS, type ValueLimits } from './queue-rules.ts';
import { cursorAfterAction, cursorAfterChange } from './queue-cursor.ts';
import { ReasonText, reasonString } from '../reason.tsx';
import './queue.css';

/**
 * The officers' queue (customs.md §6): cases the engine did not release, with their reasons in words; officers
 * release, hold, order inspection and record its result — one parcel with its version (optimistic: a case someone
 * changed since is refused and reloaded), the ticked parcels, or every parcel matching the filter. Every action asks
 * for a reason; the hub puts it on the audit chain. Managers and admins see the same list with no way to act
 * (the hub refuses them anyway). All keyboard-driven, each move announced.
 */

/** The hub's bulk cap (hub/services/cases.ts BULK_LIMIT): a filter selecting more is refused, so we say so first. */
const BULK_LIMIT = 5000;
const PAGE = 50;
const OPEN: CaseStatus[] = ['pending', 'held', 'inspection'];
const STATUSES: CaseStatus[] = ['pending', 'awaiting_release', 'held', 'inspection', 'released', 'seized', 'returned', 'destroyed', 'cancelled'];

interface Filter {
  status: 'open' | 'all' | CaseStatus;
  risk: '' | RiskLevel;
  q: string;
  orderNo: string;
  rule: string;
  ebcCode: string;
}
const EMPTY: Filter = { status: 'open', risk: '', q: '', orderNo: '', rule: '', ebcCode: '' };

/** The filter as the hub's bulk body has it (arrays, no empty fields); empty when nothing narrows the set. */
function bulkFilter(f: Filter): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (f.status !== 'all') out.status = f.status === 'open' ? OPEN : [f.status];
  if (f.risk) out.risk = [f.risk];
  for (const k of ['q', 'orderNo', 'rule', 'ebcCode'] as const) if (f[k].trim()) out[k] = f[k].trim();
  return out;
}
const listQuery = (f: Filter, cursor?: string, limit = PAGE) => qs({ ...bulkFilter(f), limit, cursor });

type Target = { kind: 'one'; c: QueueCase } | { kind: 'keys'; keys: string[] } | { kind: 'filter'; count: number; filter: Filter };
interface BulkOutcome {
  label: string;
  applied: number;
  refused: number;
  results: { parcelKey: string; ok: boolean; status?: CaseStatus; message?: string; reason?: { code: string; params?: Record<string, unknown> } }[];
}

const KEY_ACTIONS: Record<string, Action> = {
  r: { action: 'release' },
  h: { action: 'hold' },
  i: { action: 'inspect' },
  p: { action: 'result', result: 'pass' },
  s: { action: 'result', result: 'seize' },
  t: { action: 'result', result: 'return' },
  d: { action: 'result', result: 'destroy' },
};
const BUTTONS: [string, Action][] = Object.entries(KEY_ACTIONS);

export function QueuePage({ me }: { route: Route; me: Me }) {
  const canAct = me.role === 'officer';
  const [lineExceptionCount, setLineExceptionCount] = useState<number | null>(null);
  const [form, setForm] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [items, setItems] = useState<QueueCase[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [loadedMs, setLoadedMs] = useState(Date.now());
  const [reload, setReload] = useState(0);
  // The cursor names a parcel (queue-cursor.ts): rows re-sort and leave the filter, a parcel does not change identity.
  const [focusKey, setFocusKey] = useState<string | null>(null);
  /** The parcels in the order the officer last saw them: where "next" is when the cursor's own parcel leaves. */
  const seen = useRef<string[]>([]);
  const focusAt = items.findIndex((c) => c.parcelKey === focusKey);
  const focus = focusAt >= 0 ? focusAt : 0;
  const setFocus = (i: number) => setFocusKey(items[i]?.parcelKey ?? null);
  useEffect(() => {
    seen.current = items.map((c) => c.parcelKey);
  }, [items]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [matching, setMatching] = useState<{ state: 'counting' } | { state: 'ready'; count: number; filter: Filter } | { state: 'too-many' | 'no-filter' } | null>(null);
  const [dialog, setDialog] = useState<{ action: Action; target: Target } | null>(null);
  const [bulk, setBulk] = useState<BulkOutcome | null>(null);
  const [announce, setAnnounce] = useState('');
  const [alert, setAlert] = useState('');
  const [help, setHelp] = useState(false);
  const filterInput = useRef<HTMLInputElement>(null);
  const closeHelp = useCallback(() => setHelp(false), []);
  const tbody = useRef<HTMLTableSectionElement>(null);
  const summary = useAsync((signal) => api<{ byStatus: Partial<Record<CaseStatus, number>> }>('/api/cases/summary', { signal }), [reload]);
  // The configured value limits name themselves in the reason labels (never a hard-coded ¥5,000 / ¥26,000).
  const limits = useAsync((signal) => api<ValueLimits>('/api/value-limits', { signal }).catch(() => undefined), []);
  setValueLimits(limits.data ?? undefined);

  useEffect(() => {
    const ac = new AbortController();
    setLoading(true);
    api<{ items: QueueCase[]; nextCursor: string | null }>(`/api/cases${listQuery(filter)}`, { signal: ac.signal }).then(
      (r) => {
        if (ac.signal.aborted) return;
        setItems(r.items);
        setNext(r.nextCursor);
        setError(undefined);
        setLoading(false);
        setLoadedMs(Date.now());
        setFocusKey((k) => cursorAfterChange(k, seen.current, r.items.map((c) => c.parcelKey)));
      },
      (e: unknown) => !ac.signal.aborted && (setError(e), setLoading(false)),
    );
    return () => ac.abort();
  }, [filter, reload]);

  const more = async () => {
    if (!next) return;
    try {
      const r = await api<{ items: QueueCase[]; nextCursor: string | null }>(`/api/cases${listQuery(filter, next)}`);
      setItems((xs) => [...xs, ...r.items]);
      setNext(r.nextCursor);
    } catch (e) {
      setError(e);
    }
  };

  const focusRow = (i: number) => {
    const n = Math.max(0, Math.min(items.length - 1, i));
    setFocus(n);
    const c = items[n];
    if (c) setAnnounce(t('queue.announce.moved', { n: n + 1, key: c.parcelKey, status: statusLabel(c.status, c.inspectionResult) }));
    (tbody.current?.querySelector(`tr[data-index="${n}"]`) as HTMLElement | null)?.focus();
  };

  const toggle = (key: string) => {
    const s = new Set(selected);
    const on = !s.has(key);
    if (on) s.add(key);
    else s.delete(key);
    setSelected(s);
    setMatching(null);
    setAnnounce(t(on ? 'queue.announce.selected' : 'queue.announce.unselected', { key, n: s.size }));
  };

  /** The ticked parcels, else every parcel matching the filter once counted, else the parcel under the cursor. */
  const currentTarget = (): Target | undefined => {
    if (matching?.state === 'ready') return { kind: 'filter', count: matching.count, filter: matching.filter };
    if (selected.size > 0) return { kind: 'keys', keys: [...selected] };
    // Only the parcel the cursor names: never whatever row happens to sit at its old index.
    const c = items.find((x) => x.parcelKey === focusKey);
    return c ? { kind: 'one', c } : undefined;
  };

  const ask = (action: Action) => {
    const target = currentTarget();
    if (!target) return setAnnounce(t('queue.noTarget'));
    setAlert('');
    setDialog({ action, target });
  };

  const countMatching = async () => {
    if (Object.keys(bulkFilter(filter)).length === 0) return setMatching({ state: 'no-filter' });
    setMatching({ state: 'counting' });
    setAnnounce(t('queue.counting'));
    // Counted by walking keyset pages up to the hub's bulk cap: bounded, and the same rows the bulk action will take.
    let count = 0;
    let cursor: string | undefined;
    try {
      do {
        const r = await api<{ items: QueueCase[]; nextCursor: string | null }>(`/api/cases${listQuery(filter, cursor, 500)}`);
        count += r.items.length;
        cursor = r.nextCursor ?? undefined;
      } while (cursor && count <= BULK_LIMIT);
    } catch (e) {
      setMatching(null);
      return setError(e);
    }
    if (count > BULK_LIMIT) {
      setMatching({ state: 'too-many' });
      return setAnnounce(t('queue.tooMany', { n: fmtNumber(BULK_LIMIT) }));
    }
    setSelected(new Set());
    setMatching({ state: 'ready', count, filter });
    setAnnounce(t('queue.matching', { n: fmtNumber(count) }));
  };

  const act = async (reason: string) => {
    if (!dialog) return;
    const { action, target } = dialog;
    const body = { ...action, reason };
    if (target.kind === 'one') {
      const key = target.c.parcelKey;
      try {
        const r = await api<{ case: QueueCase }>(`/api/cases/${encodeURIComponent(key)}/actions`, { method: 'POST', body: { ...body, expectedVersion: target.c.version } });
        setItems((xs) => xs.map((x) => (x.parcelKey === key ? r.case : x)));
        // Done with this parcel: the cursor goes to the next one in the officer's order (the row below it).
        setFocusKey(cursorAfterAction(key, seen.current));
        setAnnounce(t('queue.done.single', { key, action: actionLabel(action), status: statusLabel(r.case.status, r.case.inspectionResult) }));
        summary.reload();
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409) throw e; // shown in the dialog
        // Refused: someone changed the case since it was read, or the rules refuse the action. Say which, reload.
        const now = await api<{ case: QueueCase }>(`/api/cases/${encodeURIComponent(key)}`).catch(() => undefined);
        setAlert(now && now.case.version !== target.c.version ? t('queue.conflict.version', { key, had: target.c.version, now: now.case.version }) : t('queue.conflict.refused', { key, message: reasonString({ ...e.reason, message: e.message }) }));
        setReload((n) => n + 1);
      }
      setDialog(null);
      return;
    }
    const r = await api<Omit<BulkOutcome, 'label'>>('/api/cases/bulk', { method: 'POST', body: { ...body, ...(target.kind === 'keys' ? { parcelKeys: target.keys } : { filter: bulkFilter(target.filter) }) } });
    const label = actionLabel(action);
    setBulk({ ...r, label });
    setAnnounce(t('queue.done.bulk', { action: label, applied: r.applied, refused: r.refused }));
    setSelected(new Set());
    setMatching(null);
    setDialog(null);
    setReload((n) => n + 1);
  };

  // Focus goes back to the row under the cursor when a dialog closes, so the keyboard carries on where it was.
  const hadDialog = useRef(false);
  useEffect(() => {
    if (dialog || help) hadDialog.current = true;
    else if (hadDialog.current) {
      hadDialog.current = false;
      (tbody.current?.querySelector(`tr[data-index="${focus}"]`) as HTMLElement | null)?.focus();
    }
  }, [dialog, help]);

  const onKey = (e: KeyboardEvent) => {
    if (dialog || help || e.ctrlKey || e.metaKey || e.altKey) return;
    const el = e.target as HTMLElement;
    const typing = (el.tagName === 'INPUT' && (el as HTMLInputElement).type !== 'checkbox') || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
    // Escape from the filter goes back to the list, so a search and an action need no mouse.
    if (typing) return void (e.key === 'Escape' && el.closest('.queue-filter') && (e.preventDefault(), focusRow(focus)));
    if (el.tagName === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')) return;
    const key = e.key;
    if (key === '?') return e.preventDefault(), setHelp(true);
    if (key === '/') return e.preventDefault(), filterInput.current?.focus();
    if (key === 'j' || key === 'ArrowDown') return e.preventDefault(), focusRow(focus + 1);
    if (key === 'k' || key === 'ArrowUp') return e.preventDefault(), focusRow(focus - 1);
    if (!canAct) return;
    if (key === 'x' || (key === ' ' && el.tagName !== 'INPUT')) {
      e.preventDefault();
      const c = items.find((x) => x.parcelKey === focusKey);
      if (c) toggle(c.parcelKey);
      return;
    }
    const action = KEY_ACTIONS[key];
    if (action) {
      e.preventDefault();
      ask(action);
    }
  };
  // One listener for the page's life that always runs the latest handler: keys pressed faster than effects re-run
  // (a held-down j) must see the state the previous key left, not the state of an older render.
  const keyHandler = useRef(onKey);
  keyHandler.current = onKey;
  useEffect(() => {
    const on = (e: KeyboardEvent) => keyHandler.current(e);
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    setSelected(new Set());
    setMatching(null);
    setFocusKey(null);
    seen.current = [];
    setFilter({ ...form });
  };
  const field = (k: keyof Filter) => ({ value: form[k], onInput: (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value }) });
  const targetText = (target: Target) =>
    target.kind === 'one' ? t('queue.target.focused', { key: target.c.parcelKey }) : target.kind === 'keys' ? t('queue.target.selected', { n: target.keys.length }) : t('queue.target.filter', { n: fmtNumber(target.count) });
  const byStatus = summary.data?.byStatus ?? {};
  const pageKeys = items.map((c) => c.parcelKey);
  const allPageSelected = pageKeys.length > 0 && pageKeys.every((k) => selected.has(k));

  return (
    <section aria-labelledby="page-title" class="queue">
      <div class="queue-head">
        <h1 id="page-title">{t('queue.title')}</h1>
        <div class="row">
          <button type="button" onClick={() => setReload((n) => n + 1)}>
            {t('action.refresh')}
          </button>
          <button type="button" class="link" aria-keyshortcuts="?" onClick={() => setHelp(true)}>
            {t('queue.shortcuts.open')}
          </button>
        </div>
      </div>
      {!canAct ? <p class="muted">{t('queue.readOnly')}</p> : null}
      <div class="grid queue-figures">
        {(['pending', 'held', 'inspection'] as const).map((s) => (
          <div class="figure" key={s}>
            <div class="value">{fmtNumber(byStatus[s] ?? (summary.data ? 0 : null))}</div>
            <div class="label">{t(`queue.figure.${s}`)}</div>
          </div>
        ))}
        <div class="figure" data-figure="lineExceptions">
          <div class="value">{lineExceptionCount === null ? '…' : fmtNumber(lineExceptionCount)}</div>
          <div class="label">
            {/* Hash routing owns the fragment: scroll to the section rather than link to it. */}
            <button type="button" class="link" onClick={() => document.getElementById('lx-title')?.scrollIntoView()}>
              {t('queue.figure.lineExceptions')}
            </button>
          </div>
        </div>
      </div>

      <form class="panel queue-filter" onSubmit={submit} aria-label={t('queue.filter.legend')}>
        <div class="row">
          <div>
            <label for="qf-q">{t('queue.filter.q')}</label>
            <input id="qf-q" ref={filterInput} aria-keyshortcuts="/" maxLength={64} {...field('q')} />
          </div>
          <div>
            <label for="qf-status">{t('queue.filter.status')}</label>
            <select id="qf-status" {...field('status')}>
              <option value="open">{t('queue.filter.status.open')}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`queue.status.${s}`)}
                </option>
              ))}
              <option value="all">{t('queue.filter.status.all')}</option>
            </select>
          </div>
          <div>
            <label for="qf-risk">{t('queue.filter.risk')}</label>
            <select id="qf-risk" {...field('risk')}>
              <option value="">{t('queue.filter.risk.any')}</option>
              {(['high', 'medium', 'low'] as const).map((r) => (
                <option key={r} value={r}>
                  {t(`queue.risk.${r}`)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="qf-rule">{t('queue.filter.rule')}</label>
            <select id="qf-rule" {...field('rule')}>
              <option value="">{t('queue.filter.rule.any')}</option>
              {RULE_OPTIONS.map((r) => (
                <option key={r} value={r}>
                  {reasonText(r)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="qf-order">{t('queue.filter.orderNo')}</label>
            <input id="qf-order" maxLength={60} {...field('orderNo')} />
          </div>
          <div>
            <label for="qf-ebc">{t('queue.filter.ebcCode')}</label>
            <input id="qf-ebc" maxLength={18} size={12} {...field('ebcCode')} />
          </div>
          <button type="submit" class="primary">
            {t('action.search')}
          </button>
          <button type="button" onClick={() => (setForm(EMPTY), setFilter(EMPTY), setSelected(new Set()), setMatching(null))}>
            {t('action.reset')}
          </button>
        </div>
      </form>

      <p class="queue-live" role="status" aria-live="polite">
        {announce}
      </p>
      {alert ? (
        <div class="error" role="alert">
          {alert}
        </div>
      ) : null}

      {canAct ? (
        <div class="panel queue-toolbar" role="toolbar" aria-label={t('queue.actions')}>
          <div class="row">
            <span>{matching?.state === 'ready' ? t('queue.matching', { n: fmtNumber(matching.count) }) : t('queue.selected', { n: selected.size })}</span>
            {selected.size > 0 || matching?.state === 'ready' ? (
              <button type="button" onClick={() => (setSelected(new Set()), setMatching(null))}>
                {t('queue.clearSelection')}
              </button>
            ) : null}
            <button type="button" onClick={() => void countMatching()} disabled={matching?.state === 'counting'}>
              {t('queue.selectAllMatching')}
            </button>
            {matching?.state === 'counting' ? <span class="muted">{t('queue.counting')}</span> : null}
            {matching?.state === 'too-many' ? <span class="error-text">{t('queue.tooMany', { n: fmtNumber(BULK_LIMIT) })}</span> : null}
            {matching?.state === 'no-filter' ? <span class="error-text">{t('queue.noFilter')}</span> : null}
            <span class="queue-actions">
              {BUTTONS.map(([key, a]) => (
                <button type="button" key={key} class={a.action === 'release' || (a.action === 'result' && a.result === 'pass') ? 'primary' : a.action === 'result' ? 'danger' : ''} aria-keyshortcuts={key} onClick={() => ask(a)}>
                  {actionLabel(a)} <kbd>{key}</kbd>
                </button>
              ))}
            </span>
          </div>
        </div>
      ) : null}

      {bulk ? (
        <section class="panel" aria-labelledby="bulk-title">
          <h2 id="bulk-title">
            {t('queue.bulkResult.title')} · {bulk.label}
          </h2>
          <p>{t('queue.done.bulk', { action: bulk.label, applied: bulk.applied, refused: bulk.refused })}</p>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('queue.col.parcel')}</th>
                  <th scope="col">{t('queue.col.status')}</th>
                </tr>
              </thead>
              <tbody>
                {bulk.results.map((r) => (
                  <tr key={r.parcelKey} class={r.ok ? 'bulk-ok' : 'bulk-refused'}>
                    <td>
                      <code>{r.parcelKey}</code>
                    </td>
                    <td>
                      {r.ok ? (
                        <>
                          {t('queue.bulkResult.applied')} → <StatusPill status={r.status!} />
                        </>
                      ) : (
                        <>
                          <strong>{t('queue.bulkResult.refused')}</strong>: <ReasonText reason={{ ...r.reason, message: r.message }} />
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="row">
            <button type="button" onClick={() => setBulk(null)}>
              {t('queue.bulkResult.close')}
            </button>
          </div>
        </section>
      ) : null}

      <ErrorBox error={error} />
      {loading && items.length === 0 ? <Loading /> : null}
      {!loading && items.length === 0 && !error ? <Empty /> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table class="queue-table" aria-describedby="queue-updated">
            <caption id="queue-updated" class="muted">
              {t('queue.updated', { time: fmtTime(loadedMs, false) })}
            </caption>
            <thead>
              <tr>
                {canAct ? (
                  <th scope="col" class="sel">
                    <input type="checkbox" id="q-select-page" checked={allPageSelected} onChange={() => (setMatching(null), setSelected(allPageSelected ? new Set() : new Set([...selected, ...pageKeys])))} />
                    <label for="q-select-page" class="sr-only">
                      {t('queue.selectPage')}
                    </label>
                  </th>
                ) : null}
                <th scope="col">{t('queue.col.parcel')}</th>
                <th scope="col">{t('queue.col.status')}</th>
                <th scope="col">{t('queue.col.risk')}</th>
                <th scope="col">{t('queue.col.reasons')}</th>
                <th scope="col" class="num">
                  {t('queue.col.age')}
                </th>
                <th scope="col" class="num">
                  {t('queue.col.version')}
                </th>
              </tr>
            </thead>
            <tbody ref={tbody}>
              {items.map((c, i) => (
                <tr
                  key={c.parcelKey}
                  data-index={i}
                  data-key={c.parcelKey}
                  tabIndex={i === focus ? 0 : -1}
                  aria-selected={selected.has(c.parcelKey) || matching?.state === 'ready'}
                  class={`${i === focus ? 'cursor' : ''} ${selected.has(c.parcelKey) ? 'selected' : ''}`}
                  onClick={() => setFocus(i)}
                  onFocusIn={() => setFocus(i)}
                >
                  {canAct ? (
                    <td class="sel">
                      <input type="checkbox" id={`q-sel-${i}`} checked={selected.has(c.parcelKey)} onChange={() => toggle(c.parcelKey)} />
                      <label for={`q-sel-${i}`} class="sr-only">
                        {t('queue.selectRow', { key: c.parcelKey })}
                      </label>
                    </td>
                  ) : null}
                  <td>
                    <a href={href('parcels', c.parcelKey)} title={t('queue.openParcel', { key: c.parcelKey })}>
                      <code>{c.parcelKey}</code>
                    </a>
                    <div class="muted small">
                      {t('queue.col.order')}: {c.orderNo}
                    </div>
                  </td>
                  <td>
                    <StatusPill status={c.status} inspectionResult={c.inspectionResult} />
                    {c.decidedBy !== 'auto' ? <div class="muted small">{c.decidedBy}</div> : null}
                    <LatestFinding c={c} />
                    <LatestBenchFinding findings={c.benchFindings} />
                  </td>
                  <td>
                    <RiskPill level={c.riskLevel} />
                  </td>
                  <td>
                    <Reasons reasons={c.reasons} />
                  </td>
                  <td class="num" title={fmtTime(c.createdMs)}>
                    {fmtDuration(Math.max(0, loadedMs - c.createdMs))}
                  </td>
                  <td class="num">{c.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <MoreButton next={next} onMore={more} />

      <LineExceptions canAct={canAct} onCount={setLineExceptionCount} />

      {dialog ? (
        <ReasonDialog title={t('queue.dialog.title', { action: actionLabel(dialog.action), target: dialog.target.kind === 'one' ? dialog.target.c.parcelKey : targetText(dialog.target) })} onConfirm={act} onCancel={() => setDialog(null)}>
          <p>{targetText(dialog.target)}</p>
          {dialog.target.kind === 'one' ? (
            <>
              <p>
                <StatusPill status={dialog.target.c.status} inspectionResult={dialog.target.c.inspectionResult} /> <RiskPill level={dialog.target.c.riskLevel} /> · {t('queue.col.version')} {dialog.target.c.version}
              </p>
              <Reasons reasons={dialog.target.c.reasons} />
            </>
          ) : null}
        </ReasonDialog>
      ) : null}
      {help ? <ShortcutHelp onClose={closeHelp} /> : null}
    </section>
  );
}
