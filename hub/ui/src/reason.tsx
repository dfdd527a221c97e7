import { codeOfText, lineReasonPieces, reasonPieces, renderLineReason, renderReason, type CodedReason, type ReasonLang, type ReasonPiece } from '../../../shared/reason-codes.ts';
import { lang, t } from './i18n/index.ts';

/**
 * A reason in the reader's language (shared/reason-codes.ts): the code with its parameters when the hub sent one,
 * else the stored text as it is (reasons stored before codes). Values are marked as data (`translate="no"`), and the
 * part where two compared values differ is highlighted — officers get the values, others a reason without them.
 */
export interface MaybeCoded {
  code?: string | undefined;
  params?: Record<string, unknown> | undefined;
  message?: string | undefined;
}

/** Values are data, not words: browsers must not translate them, and the language test skips them. */
const NO_TRANSLATE = { translate: 'no', 'data-value': '' } as Record<string, string>;

const coded = (r: MaybeCoded): CodedReason | undefined => (r.code ? { code: r.code, params: (r.params ?? {}) as CodedReason['params'] } : undefined);

/** Plain text (titles, lists of strings); the stored message when there is no code or it is unknown here. */
export function reasonString(r: MaybeCoded): string {
  const c = coded(r);
  return (c && renderReason(lang() as ReasonLang, c)) ?? r.message ?? '';
}

/** Whether a coded reason says more than its rule's few words (figures, names of fields, values). */
export function hasDetail(r: MaybeCoded): boolean {
  if (!r.code) return !!r.message;
  return Object.keys(r.params ?? {}).some((k) => k !== 'severity');
}

/** A value as declared or as received (customs' returnInfo, a name): data, not words of the page. */
export const DataValue = ({ text }: { text: string }) => <span {...NO_TRANSLATE}>{text}</span>;

/** A reason field a person filled in, or the system with a bare code (a bench pass without words): as text. */
export function freeText(text: string | undefined): string {
  const code = codeOfText(text);
  return (code && renderReason(lang() as ReasonLang, { code })) ?? text ?? '';
}

/** The same as a node: a person's words are data (shown as typed, in their language), a code is said in the reader's. */
export function FreeText({ text }: { text: string | undefined }) {
  const code = codeOfText(text);
  return code ? <>{renderReason(lang() as ReasonLang, { code })}</> : <DataValue text={text ?? ''} />;
}

export function ReasonText({ reason }: { reason: MaybeCoded }) {
  const c = coded(reason);
  const pieces = c && reasonPieces(lang() as ReasonLang, c);
  if (!pieces) return <span class="reason-text">{reason.message ?? ''}</span>;
  return <Pieces pieces={pieces} />;
}

/** A reason the line gave (shared/schemas/events.ts LineReason), or the text an older gateway wrote instead. */
export interface LineReasonLike extends MaybeCoded {
  because?: readonly { code: string; params?: Record<string, unknown> | undefined }[] | undefined;
}

const lineCoded = (r: LineReasonLike) => (r.code ? { code: r.code, params: (r.params ?? {}) as CodedReason['params'], because: (r.because ?? []) as CodedReason[] } : undefined);

/** Plain text of a line reason; an old one as written, marked (for titles and lists of strings). */
export function lineReasonString(r: LineReasonLike): string {
  const c = lineCoded(r);
  const said = c && renderLineReason(lang() as ReasonLang, c);
  return said ?? `${r.message ?? r.code ?? ''} (${t('reason.asWritten')})`;
}

/**
 * A line reason in the reader's language, the hub's reasons behind it following. One an older gateway journalled as
 * English text (no code), or with a code this dashboard does not know, is shown as written — data, marked so — and
 * never passed off as a sentence in the reader's language.
 */
export function LineReasonText({ reason }: { reason: LineReasonLike }) {
  const c = lineCoded(reason);
  const pieces = c && lineReasonPieces(lang() as ReasonLang, c);
  if (pieces) return <Pieces pieces={pieces} />;
  return (
    <span class="reason-text reason-as-written" title={t('reason.asWritten.title')}>
      <DataValue text={reason.message ?? reason.code ?? ''} /> <small class="reason-marker">{t('reason.asWritten')}</small>
    </span>
  );
}

function Pieces({ pieces }: { pieces: ReasonPiece[] }) {
  return (
    <span class="reason-text">
      {pieces.map((p, i) =>
        p.kind === 'text' ? (
          p.text
        ) : p.kind === 'diff' ? (
          <mark key={i} class="reason-diff" {...NO_TRANSLATE}>
            {p.text}
          </mark>
        ) : (
          <span key={i} class="reason-value" {...NO_TRANSLATE}>
            {p.text}
          </span>
        ),
      )}
    </span>
  );
}
