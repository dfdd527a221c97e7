import { z } from 'zod';
import { BondgateError, validationError, type FieldIssue } from '../../shared/errors.ts';
import type { CreditClass } from '../customs/risk.ts';
import type { CreditChange, CreditEntry, CreditVersion, EnterpriseCreditRepo } from '../repos/enterprise-credit.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Enterprise credit classes an admin loads (a JSON list or a CSV export of customs' credit publication), versioned in
 * the store, on the audit chain, and held in memory for the risk engine: `credit.dishonest` fires for a dishonest
 * enterprise on the parcel, and the declaring enterprise's class scales the random sampling rate. Loaded at start, so
 * a running hub decides with them (before, only tests supplied classes).
 */

/** The class names accepted on input: the product's own, and the usual English and Chinese ones. */
const CLASS_ALIASES: Record<string, CreditClass> = {
  advanced: 'advanced',
  'advanced-certified': 'advanced',
  aeo: 'advanced',
  高级认证: 'advanced',
  高级认证企业: 'advanced',
  general: 'general',
  一般信用: 'general',
  一般信用企业: 'general',
  dishonest: 'dishonest',
  失信: 'dishonest',
  失信企业: 'dishonest',
};
/** Customs enterprise code (10) or unified social credit code (18), as CEB messages carry them. */
const EnterpriseCode = z.string().trim().regex(/^[0-9A-Za-z]{1,18}$/, 'an enterprise code: letters and digits, at most 18');
const ClassName = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const c = CLASS_ALIASES[s.toLowerCase()];
    if (!c) {
      ctx.addIssue({ code: 'custom', message: 'one of advanced-certified, general, dishonest' });
      return z.NEVER;
    }
    return c;
  });
export const CreditInput = z.object({ code: EnterpriseCode, class: ClassName, name: z.string().trim().min(1).max(100).optional() });

export const CreditLoadBody = z
  .object({
    entries: z.array(CreditInput).max(100_000).optional(),
    /** CSV text: a header naming `code` and `class` (and optionally `name`), one enterprise per line. */
    csv: z.string().max(20_000_000).optional(),
    mode: z.enum(['merge', 'replace']).default('merge'),
    comment: z.string().trim().min(1).max(500),
  })
  .strict()
  .refine((b) => (b.entries === undefined) !== (b.csv === undefined), 'give either entries or csv');
export type CreditLoadBody = z.input<typeof CreditLoadBody>;

type Parsed = { code: string; creditClass: CreditClass; name?: string };

/** One CSV line's fields (RFC 4180 quoting: "a, b" and "say ""hi"""). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Pure: a CSV of enterprises and classes → entries, or every problem by line (nothing partial). */
export function parseCreditCsv(text: string): Parsed[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const iCode = col('code', 'enterprise', 'enterprisecode', '企业代码', '海关编码');
  const iClass = col('class', 'creditclass', 'credit', '信用等级');
  const iName = col('name', '企业名称');
  if (iCode < 0 || iClass < 0) throw new BondgateError('VALIDATION_FAILED', 'the CSV header must name a code and a class column', [{ field: 'csv.line1', message: 'header needs code,class[,name]' }]);
  const issues: FieldIssue[] = [];
  const out: Parsed[] = [];
  const seen = new Map<string, number>();
  lines.slice(1).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const lineNo = i + 2;
    const f = csvFields(raw);
    const name = iName >= 0 ? f[iName]?.trim() : undefined;
    const r = CreditInput.safeParse({ code: f[iCode] ?? '', class: f[iClass] ?? '', ...(name ? { name } : {}) });
    if (!r.success) {
      for (const is of r.error.issues) issues.push({ field: `csv.line${lineNo}.${is.path.join('.')}`, message: is.message });
      return;
    }
    const prior = seen.get(r.data.code);
    if (prior !== undefined) issues.push({ field: `csv.line${lineNo}.code`, message: `${r.data.code} is also on line ${prior}` });
    seen.set(r.data.code, lineNo);
    out.push({ code: r.data.code, creditClass: r.data.class, ...(r.data.name ? { name: r.data.name } : {}) });
  });
  if (issues.length > 0) throw new BondgateError('VALIDATION_FAILED', `${issues.length} problem(s) in the CSV; nothing was loaded`, issues.slice(0, 200));
  return out;
}

export class EnterpriseCreditService {
  private byCode: Readonly<Record<string, CreditClass>> = Object.freeze({});
  private readonly now: () => number;
  constructor(private readonly d: { repo: EnterpriseCreditRepo; storage: Pick<Storage, 'appendAudit'>; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  /** Read the stored classes into memory (at start). */
  async init(): Promise<number> {
    await this.refresh();
    return Object.keys(this.byCode).length;
  }

  private async refresh(): Promise<void> {
    const map: Record<string, CreditClass> = {};
    for (const e of await this.d.repo.all()) map[e.code] = e.creditClass;
    this.byCode = Object.freeze(map);
  }

  /** The classes the risk engine decides with (an enterprise not in it is `general`). */
  classes(): Readonly<Record<string, CreditClass>> {
    return this.byCode;
  }

  classOf(code: string): CreditClass | undefined {
    return this.byCode[code];
  }

  list(): Promise<CreditEntry[]> {
    return this.d.repo.all();
  }

  versions(limit: number, before?: number) {
    return this.d.repo.versions(limit, before);
  }

  changes(version: number): Promise<CreditChange[]> {
    return this.d.repo.changes(version);
  }

  /** Load a list (JSON entries or CSV) as a new version, live at once, audited. */
  async load(actor: string, input: CreditLoadBody): Promise<{ version: CreditVersion; changes: CreditChange[] }> {
    const parsed = CreditLoadBody.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error, 'VALIDATION_FAILED', 'body');
    const body = parsed.data;
    const entries: Parsed[] = body.csv !== undefined ? parseCreditCsv(body.csv) : body.entries!.map((e) => ({ code: e.code, creditClass: e.class, ...(e.name ? { name: e.name } : {}) }));
    if (body.entries) {
      const dup = entries.findIndex((e, i) => entries.findIndex((x) => x.code === e.code) !== i);
      if (dup >= 0) throw new BondgateError('VALIDATION_FAILED', `${entries[dup]!.code} is listed twice`, [{ field: `entries.${dup}.code`, message: 'listed twice' }]);
    }
    const now = this.now();
    const r = await this.d.repo.load(entries, { author: actor, comment: body.comment, mode: body.mode, nowMs: now });
    await this.refresh();
    await this.d.storage.appendAudit(
      {
        actor,
        action: 'enterprise-credit.load',
        subject: `enterprise-credit:v${r.version.version}`,
        detail: { version: r.version.version, mode: r.version.mode, listed: entries.length, changed: r.version.changed, removed: r.version.removed, comment: body.comment, dishonest: r.changes.filter((c) => c.after === 'dishonest').map((c) => c.code).slice(0, 100) },
      },
      now,
    );
    return r;
  }
}
