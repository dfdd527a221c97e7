import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { ErrorBox, Loading, Pill, useAsync } from '../components.tsx';
import { fmtNumber, fmtTime, t, ZONE } from '../i18n/index.ts';

/**
 * The risk rules editor: a form for the fields changed most (value limits, sampling, weight tolerance, restricted HS
 * prefixes) over the full rule set as JSON, a what-if against a day's parcels (yesterday by default) before applying,
 * and the version history. The hub validates; its errors name the field path (rules.sampling.rate …).
 */
type Rules = Record<string, unknown>;
interface VersionSummary {
  version: number;
  label: string;
  author: string;
  createdMs: number;
  comment: string;
  active: boolean;
}
interface Version extends Omit<VersionSummary, 'active'> {
  rules: Rules & { version?: string };
}
type Decision = 'released' | 'hold' | 'inspect' | 'pending';
interface WhatIf {
  day: string;
  activeLabel: string;
  proposedLabel: string;
  assessed: number;
  before: Record<Decision, number>;
  after: Record<Decision, number>;
  changed: { parcelKey: string; orderNo: string; tradeMode: string | null; before: Decision; after: Decision; added: string[]; removed: string[] }[];
  changedTruncated: boolean;
  nextCursor: string | null;
}
const DECISIONS: readonly Decision[] = ['released', 'hold', 'inspect', 'pending'];
const TONE: Record<Decision, 'ok' | 'bad' | 'warn' | 'info'> = { released: 'ok', hold: 'bad', inspect: 'warn', pending: 'info' };

const yesterday = () => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now() - 86_400_000);

const getPath = (o: Rules, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Rules)[k] : undefined), o);
function setPath(o: Rules, path: string, value: unknown): Rules {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...o, [head]: value };
  const inner = (o[head] && typeof o[head] === 'object' ? o[head] : {}) as Rules;
  return { ...o, [head]: setPath(inner, rest.join('.'), value) };
}

/** The common fields: path in the rule set, input kind, and its step. */
const FIELDS: { path: string; kind: 'number'; step: string; min: number; max?: number }[] = [
  { path: 'valueLimits.perTransactionCny', kind: 'number', step: '1', min: 1 },
  { path: 'valueLimits.annualCny', kind: 'number', step: '1', min: 1 },
  { path: 'sampling.rate', kind: 'number', step: '0.01', min: 0, max: 1 },
  { path: 'weight.weightTolerancePct', kind: 'number', step: '0.5', min: 0, max: 100 },
  { path: 'weight.weightToleranceKg', kind: 'number', step: '0.01', min: 0 },
];
const fieldId = (path: string) => `rule-${path.replace(/\./g, '-')}`;

export function RulesSection() {
  const history = useAsync((signal) => api<{ items: VersionSummary[]; nextBefore: number | null }>('/api/risk-rules?limit=50', { signal }), []);
  const active = history.data?.items.find((v) => v.active);
  const [draft, setDraft] = useState<Rules>();
  const [text, setText] = useState('');
  const [jsonError, setJsonError] = useState('');
  const [error, setError] = useState<unknown>();
  const [day, setDay] = useState(yesterday);
  const [whatIf, setWhatIf] = useState<WhatIf>();
  const [busy, setBusy] = useState(false);
  const [comment, setComment] = useState('');
  const [notice, setNotice] = useState('');

  const load = async (version: number) => {
    const v = await api<Version>(`/api/risk-rules/${version}`);
    const { version: _label, ...rules } = v.rules;
    setDraft(rules);
    setText(JSON.stringify(rules, null, 2));
    setWhatIf(undefined);
  };
  useEffect(() => {
    if (active && !draft) void load(active.version).catch(setError);
  }, [active?.version]);

  const change = (next: Rules) => {
    setDraft(next);
    setText(JSON.stringify(next, null, 2));
    setJsonError('');
    setWhatIf(undefined);
  };
  const badFields = new Set(((error as ApiError | undefined)?.fields ?? []).map((f) => f.field));

  const runWhatIf = async (cursor?: string) => {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      setWhatIf(await api<WhatIf>('/api/risk-rules/what-if', { method: 'POST', body: { rules: draft, day, ...(cursor ? { cursor } : {}) } }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const apply = async (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      const v = await api<Version>('/api/risk-rules', { method: 'POST', body: { rules: draft, comment } });
      setNotice(t('admin.rules.applied', { label: v.label }));
      setComment('');
      setWhatIf(undefined);
      history.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="rules-title">
      <h2 id="rules-title">{t('admin.rules.title')}</h2>
      <p class="muted">{active ? t('admin.rules.active', { label: active.label, version: active.version }) : null}</p>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorBox error={history.error ?? error} />
      {!draft ? (
        <Loading />
      ) : (
        <>
          <div class="rules-form">
            {FIELDS.map((f) => (
              <div key={f.path}>
                <label for={fieldId(f.path)}>{t(`admin.rules.f.${f.path}`)}</label>
                <input
                  id={fieldId(f.path)}
                  type="number"
                  step={f.step}
                  min={f.min}
                  {...(f.max !== undefined ? { max: f.max } : {})}
                  aria-invalid={badFields.has(`rules.${f.path}`) ? 'true' : undefined}
                  value={String(getPath(draft, f.path) ?? '')}
                  onInput={(e) => {
                    const raw = (e.target as HTMLInputElement).value;
                    change(setPath(draft, f.path, raw === '' ? undefined : Number(raw)));
                  }}
                />
              </div>
            ))}
            <div class="wide">
              <label for="rule-restricted">{t('admin.rules.f.restrictedHs')}</label>
              <textarea
                id="rule-restricted"
                rows={2}
                aria-describedby="rule-restricted-hint"
                aria-invalid={[...badFields].some((f) => f.startsWith('rules.restrictedHs')) ? 'true' : undefined}
                value={((getPath(draft, 'restrictedHs.prefixes') as string[] | undefined) ?? []).join(', ')}
                onInput={(e) =>
                  change(
                    setPath(
                      draft,
                      'restrictedHs.prefixes',
                      (e.target as HTMLTextAreaElement).value
                        .split(/[\s,，]+/)
                        .filter(Boolean),
                    ),
                  )
                }
              />
              <p id="rule-restricted-hint" class="muted hint">
                {t('admin.rules.restrictedHint')}
              </p>
            </div>
          </div>
          <details class="rules-json">
            <summary>{t('admin.rules.json')}</summary>
            <label for="rule-json">{t('admin.rules.jsonLabel')}</label>
            <textarea
              id="rule-json"
              rows={14}
              spellcheck={false}
              aria-invalid={jsonError ? 'true' : undefined}
              aria-describedby="rule-json-error"
              value={text}
              onInput={(e) => {
                const raw = (e.target as HTMLTextAreaElement).value;
                setText(raw);
                try {
                  const parsed = JSON.parse(raw) as unknown;
                  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(t('admin.rules.notObject'));
                  setDraft(parsed as Rules);
                  setJsonError('');
                  setWhatIf(undefined);
                } catch (err) {
                  setJsonError((err as Error).message);
                }
              }}
            />
            <p id="rule-json-error" class="error-text" role={jsonError ? 'alert' : undefined}>
              {jsonError ? t('admin.rules.jsonError', { message: jsonError }) : ''}
            </p>
          </details>
          <div class="row">
            <div>
              <label for="whatif-day">{t('admin.rules.day')}</label>
              <input id="whatif-day" type="date" value={day} onInput={(e) => setDay((e.target as HTMLInputElement).value)} />
            </div>
            <button type="button" disabled={busy || !!jsonError} onClick={() => void runWhatIf()}>
              {t('admin.rules.whatIf')}
            </button>
          </div>
          {whatIf ? <WhatIfResult r={whatIf} onNext={() => void runWhatIf(whatIf.nextCursor ?? undefined)} /> : null}
          <form class="row apply" onSubmit={apply}>
            <div class="grow">
              <label for="rule-comment">{t('admin.rules.comment')}</label>
              <input id="rule-comment" required maxLength={500} value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
            </div>
            <button type="submit" class="primary" disabled={busy || !!jsonError}>
              {t('admin.rules.apply')}
            </button>
          </form>
        </>
      )}
      <h3>{t('admin.rules.history')}</h3>
      {history.data ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.rules.version')}</th>
                <th scope="col">{t('admin.rules.label')}</th>
                <th scope="col">{t('admin.rules.author')}</th>
                <th scope="col">{t('admin.rules.time')}</th>
                <th scope="col">{t('admin.rules.comment')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {history.data.items.map((v) => (
                <tr key={v.version}>
                  <th scope="row">
                    {v.version} {v.active ? <Pill tone="ok">{t('admin.rules.isActive')}</Pill> : null}
                  </th>
                  <td>
                    <code>{v.label}</code>
                  </td>
                  <td data-value="">{v.author === 'config' ? t('admin.rules.author.config') : v.author}</td>
                  <td>{fmtTime(v.createdMs)}</td>
                  <td data-value="">{v.author === 'config' && v.comment === 'seeded from the hub configuration' ? t('admin.rules.comment.seeded') : v.comment}</td>
                  <td>
                    <button type="button" onClick={() => void load(v.version).catch(setError)}>
                      {t('admin.rules.load')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function WhatIfResult({ r, onNext }: { r: WhatIf; onNext: () => void }) {
  return (
    <div class="whatif" aria-live="polite" data-testid="what-if">
      <h3>{t('admin.rules.whatIfTitle', { day: r.day, assessed: r.assessed, active: r.activeLabel, proposed: r.proposedLabel })}</h3>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('admin.rules.decision')}</th>
              <th scope="col" class="num">
                {t('admin.rules.before')}
              </th>
              <th scope="col" class="num">
                {t('admin.rules.after')}
              </th>
              <th scope="col" class="num">
                {t('admin.rules.delta')}
              </th>
            </tr>
          </thead>
          <tbody>
            {DECISIONS.map((d) => (
              <tr key={d} data-decision={d}>
                <th scope="row">
                  <Pill tone={TONE[d]}>{t(`admin.decision.${d}`)}</Pill>
                </th>
                <td class="num">{fmtNumber(r.before[d])}</td>
                <td class="num">{fmtNumber(r.after[d])}</td>
                <td class="num">{r.after[d] - r.before[d] > 0 ? `+${fmtNumber(r.after[d] - r.before[d])}` : fmtNumber(r.after[d] - r.before[d])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('admin.rules.changed', { n: r.changed.length })}</h3>
      {r.changed.length === 0 ? (
        <p class="muted">{t('admin.rules.noChange')}</p>
      ) : (
        <div class="table-wrap changed">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.rules.parcel')}</th>
                <th scope="col">{t('admin.rules.orderNo')}</th>
                <th scope="col">{t('admin.rules.mode')}</th>
                <th scope="col">{t('admin.rules.before')}</th>
                <th scope="col">{t('admin.rules.after')}</th>
                <th scope="col">{t('admin.rules.why')}</th>
              </tr>
            </thead>
            <tbody>
              {r.changed.map((c) => (
                <tr key={c.parcelKey}>
                  <th scope="row">
                    <code>{c.parcelKey}</code>
                  </th>
                  <td>{c.orderNo}</td>
                  <td>{c.tradeMode ?? '—'}</td>
                  <td>
                    <Pill tone={TONE[c.before]}>{t(`admin.decision.${c.before}`)}</Pill>
                  </td>
                  <td>
                    <Pill tone={TONE[c.after]}>{t(`admin.decision.${c.after}`)}</Pill>
                  </td>
                  <td>
                    {c.added.map((x) => (
                      <span key={x} class="rule-chip">
                        + <code>{x}</code>
                      </span>
                    ))}
                    {c.removed.map((x) => (
                      <span key={x} class="rule-chip">
                        − <code>{x}</code>
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r.changedTruncated ? <p class="muted">{t('admin.rules.truncated')}</p> : null}
      {r.nextCursor ? (
        <button type="button" onClick={onNext}>
          {t('admin.rules.nextPage')}
        </button>
      ) : null}
    </div>
  );
}
