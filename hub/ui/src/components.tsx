import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { t } from './i18n/index.ts';

/** Small shared pieces: every page uses the same error box, status pill, reason dialog and async loader. */

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as ApiError;
  return (
    <div class="error" role="alert">
      {e.status === 403 ? t('state.forbidden') : t('state.error', { message: e.message ?? String(error) })}
      {e.fields?.length ? (
        <ul>
          {e.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Loading() {
  return (
    <p class="muted" aria-live="polite">
      {t('state.loading')}
    </p>
  );
}

export function Empty() {
  return <p class="muted">{t('state.empty')}</p>;
}

/** A coloured status label; `tone` picks the colour, the text always says it (never colour alone). */
export function Pill({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ComponentChildren }) {
  return <span class={`pill pill-${tone}`}>{children}</span>;
}

/** Load on mount and whenever `deps` change; `reload()` loads again. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ac.signal).then(
      (data) => !ac.signal.aborted && setState({ data, error: undefined, loading: false }),
      (error: unknown) => !ac.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => ac.abort();
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

/**
 * Asks for the reason every officer action needs (it goes on the audit chain). Enter confirms, Escape cancels; the
 * reason field has focus when it opens.
 */
export function ReasonDialog({ title, onConfirm, onCancel, children }: { title: string; onConfirm: (reason: string) => Promise<void> | void; onCancel: () => void; children?: ComponentChildren }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) return setError(new ApiError(400, 'VALIDATION_FAILED', t('reason.required')));
    setBusy(true);
    try {
      await onConfirm(reason.trim());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div class="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title" onSubmit={submit}>
        <h2 id="dialog-title">{title}</h2>
        {children}
        <label for="reason">{t('reason.label')}</label>
        <textarea
          id="reason"
          ref={input}
          rows={3}
          maxLength={500}
          value={reason}
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) void submit(e);
          }}
        />
        <ErrorBox error={error} />
        <div class="row">
          <button type="button" onClick={onCancel}>
            {t('action.cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {t('action.confirm')}
          </button>
        </div>
      </form>
    </div>
  );
}

/** The "load more" button under a keyset-paged list: shown only while the hub has another page. */
export function MoreButton({ next, onMore, busy = false }: { next: string | null | undefined; onMore: () => Promise<void> | void; busy?: boolean }) {
  if (!next) return null;
  return (
    <button type="button" class="more" disabled={busy} onClick={() => void onMore()}>
      {t('action.more')}
    </button>
  );
}
