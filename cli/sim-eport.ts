import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatCebReturnTime } from '../hub/customs/ceb/generate.ts';
import { DS_NS, parseCebXml, type XmlElement } from '../hub/customs/ceb/parse.ts';
import { CEB_NS } from '../hub/customs/ceb/schema.ts';
import { validateCeb } from '../hub/customs/ceb/validate.ts';
import { escapeXmlText } from '../hub/customs/ceb/xml.ts';
import { writeAtomically } from '../hub/eport/sender.ts';
import { isSasPackage, SasSim, type SasSimRules } from './sim-eport-sas.ts';

/**
 * `bondgate sim eport`: the enterprise's single-window client as the hub sees it — two folders (eport.md §2). It takes
 * each complete file from the OutBox, "sends" it (moves it to `<work>/sent/`), runs the e-port's format check on it
 * (the XSD rules and a ds:Signature present) and answers into the InBox: a transmission result (`Successed_<file>` or
 * `Failed_<file>`), a CEB900 when the format check fails, and the business receipt (CEB712/508/510). Rules make it
 * misbehave as the real one does: format errors, business rejections, failed transmissions, delays, duplicate and
 * out-of-order answers, and going away for a while. Answers are written atomically (temp file, rename), as the
 * client does; answers still pending when the simulator stops are lost, as they would be with a client reinstalled.
 */

export interface SimMessage {
  fileName: string;
  type: string;
  guid: string;
  /** 1-based order in which the simulator took the message. */
  n: number;
}

export interface EportSimRules {
  /** Answer with a CEB900 format error even though the message checks (the XSD check always runs). */
  formatError?: (m: SimMessage) => boolean;
  /** Answer with a business rejection (returnStatus 100, 退单). */
  reject?: (m: SimMessage) => boolean;
  /** Answer `Failed_` (not transmitted) and nothing else. */
  transmissionFail?: (m: SimMessage) => boolean;
  /** Answers become due this long after the message was taken. */
  delayMs?: number;
  /** Every answer written twice (the second under another name). */
  duplicates?: boolean;
  /** The business receipt before the transmission result. */
  outOfOrder?: boolean;
  /** At most this many OutBox files taken per step (a slow client); all by default. */
  maxPerStep?: number;
  /** 金二 (INV101/SAS121): customs' SAS answers by the simulated book (cli/sim-eport-sas.ts), rejecting by these rules. */
  sas?: SasSimRules;
  /** 金二 answers become due this long after the message was taken (default: delayMs). */
  sasDelayMs?: number;
}

export interface EportSimOptions {
  outbox: string;
  inbox: string;
  /** Where sent messages go (default: `<outbox>/../sent`). */
  work?: string;
  rules?: EportSimRules;
  now?: () => number;
  note?: (line: string) => void;
}

interface Pending {
  dueMs: number;
  name: string;
  xml: string;
}

const RETURN_BLOCK: Record<string, { type: string; block: string }> = {
  CEB711: { type: 'CEB712', block: 'DeliveryReturn' },
  CEB507: { type: 'CEB508', block: 'ArrivalReturn' },
  CEB509: { type: 'CEB510', block: 'DepartureReturn' },
};

function simGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const field = (head: XmlElement | undefined, name: string): string => head?.children.find((c) => c.name === name && c.ns === CEB_NS)?.text.trim() ?? '';
const leaf = (name: string, value: string) => `<ceb:${name}>${escapeXmlText(value)}</ceb:${name}>`;
const message = (type: string, guid: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<ceb:${type}Message xmlns:ceb="${CEB_NS}" guid="${guid}" version="1.0">${body}</ceb:${type}Message>\n`;

/** A CEB900 format-check receipt for message `guid` (import-business.xsd MessageReturn, in XSD order). */
export function ceb900Xml(o: { guid: string; type: string; status: string; info: string; nowMs: number }): string {
  const body = `<ceb:MessageReturn>${leaf('guid', simGuid(`900:${o.guid}:${o.status}`))}${leaf('returnStatus', o.status)}${leaf('returnInfo', o.info.slice(0, 5000))}${leaf('returnTime', formatCebReturnTime(new Date(o.nowMs)))}${leaf('oriCopMsgId', o.guid)}${leaf('oriMessageType', o.type)}${leaf('oriBizMessage', '')}</ceb:MessageReturn>`;
  return message('CEB900', simGuid(`900m:${o.guid}:${o.status}`), body);
}

/** The business receipt of a 711/507/509 (CEB712/508/510), fields taken from the message's head, in XSD order. */
export function businessReceiptXml(o: { type: string; guid: string; head: XmlElement | undefined; status: string; info: string; nowMs: number }): { type: string; xml: string } | undefined {
  const r = RETURN_BLOCK[o.type];
  if (!r) return undefined;
  const h = (n: string) => field(o.head, n);
  const preNo = `E${BigInt(`0x${createHash('sha256').update(o.guid).digest('hex').slice(0, 14)}`).toString().padStart(17, '0').slice(0, 17)}`;
  const returnTime = formatCebReturnTime(new Date(o.nowMs));
  const tail = leaf('returnStatus', o.status) + leaf('returnTime', returnTime) + leaf('returnInfo', o.info);
  let fields: string;
  if (r.type === 'CEB712') fields = leaf('guid', o.guid) + (h('customsCode') ? leaf('customsCode', h('customsCode')) : '') + (h('operatorCode') ? leaf('operatorCode', h('operatorCode')) : '') + (h('copNo') ? leaf('copNo', h('copNo')) : '') + leaf('preNo', preNo) + tail;
  else if (r.type === 'CEB508') fields = leaf('guid', o.guid) + leaf('operatorCode', h('operatorCode')) + leaf('logisticsCode', h('logisticsCode')) + leaf('preNo', preNo) + leaf('copNo', h('copNo')) + leaf('billNo', h('billNo')) + leaf('msgSeqNo', h('msgSeqNo') || '1') + tail;
  else fields = leaf('guid', o.guid) + leaf('logisticsCode', h('logisticsCode')) + leaf('copNo', h('copNo')) + leaf('preNo', preNo) + leaf('msgSeqNo', h('msgSeqNo') || '1') + tail;
  return { type: r.type, xml: message(r.type, simGuid(`${r.type}:${o.guid}:${o.status}`), `<ceb:${r.block}>${fields}</ceb:${r.block}>`) };
}

/** What the e-port's format check says of a message: the problems, none when it passes. */
export function formatCheck(xml: string): { type: string; guid: string; head: XmlElement | undefined; problems: string[] } {
  const parsed = parseCebXml(xml);
  if (!parsed.ok) {
    const guid = /guid="([^"]{1,64})"/.exec(xml)?.[1] ?? '';
    return { type: /<(?:\w+:)?(CEB\d{3})Message/.exec(xml)?.[1] ?? '', guid, head: undefined, problems: parsed.issues.map((i) => `${i.field}: ${i.message}`) };
  }
  const m = parsed.message;
  const problems = validateCeb(m).map((i) => `${i.field}: ${i.message}`);
  const last = m.root.children.at(-1);
  if (last?.name !== 'Signature' || last.ns !== DS_NS) problems.push('Signature: the message is not signed');
  const block = m.root.children[0];
  const head = block?.children.find((c) => /Head$/.test(c.name));
  return { type: m.type, guid: m.guid, head, problems: [...new Set(problems)] };
}

export class EportClientSim {
  private readonly pending: Pending[] = [];
  private taken = 0;
  private away = false;
  private chain: Promise<void> = Promise.resolve();
  readonly work: string;
  private readonly now: () => number;
  /** Customs' SAS for the 金二 messages: its simulated book lives as long as the simulator. */
  readonly sas: SasSim;

  constructor(private readonly o: EportSimOptions) {
    this.work = o.work ?? join(o.outbox, '..', 'sent');
    this.now = o.now ?? Date.now;
    this.sas = new SasSim(o.rules?.sas);
  }

  /** The client goes away (a restart, a crash): it takes nothing and answers nothing until `comeBack`. */
  goAway(): void {
    this.away = true;
  }

  comeBack(): void {
    this.away = false;
  }

  get pendingAnswers(): number {
    return this.pending.length;
  }

  /**
   * What the e-port pushes to the enterprise unasked — declarations it subscribes to, customs' receipts on them (CEB622,
   * 624…): written into the InBox atomically on the next step (after `delayMs`), in the order delivered. Lost, like
   * every pending answer, if the client stops before then.
   */
  deliver(name: string, xml: string, delayMs = 0): void {
    this.pending.push({ dueMs: this.now() + delayMs, name, xml });
  }

  /** One pass: take the OutBox's files, write the answers that are due. */
  step(): Promise<void> {
    this.chain = this.chain.catch(() => undefined).then(() => this.run());
    return this.chain;
  }

  private async run(): Promise<void> {
    if (this.away) return;
    await mkdir(this.work, { recursive: true });
    await mkdir(this.o.outbox, { recursive: true });
    await mkdir(this.o.inbox, { recursive: true });
    const names = (await readdir(this.o.outbox, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.') && !/\.(tmp|part)$/i.test(e.name)).map((e) => e.name);
    for (const name of names.sort().slice(0, this.o.rules?.maxPerStep ?? names.length)) await this.take(name);
    const now = this.now();
    const due = this.pending.filter((p) => p.dueMs <= now);
    for (const p of due) {
      this.pending.splice(this.pending.indexOf(p), 1);
      await writeAtomically(this.o.inbox, p.name, p.xml);
      this.o.note?.(`answered ${p.name}`);
    }
  }

  /** A 金二 message: answered by the simulated SAS; the file-level rules (duplicates, delay, the client away) apply alike. */
  private takeSas(name: string, xml: string): void {
    const rules = this.o.rules ?? {};
    const now = this.now();
    // Counted by the SAS side only (SasSimMessage.n): the CEB rules' every-Nth stays as it was for CEB traffic.
    const answers = this.sas.answer(name, xml, now);
    const all = rules.duplicates ? answers.flatMap((a) => [a, { name: `${a.name.replace(/\.xml$/, '')}.dup.xml`, xml: a.xml }]) : answers;
    for (const a of all) this.pending.push({ dueMs: now + (rules.sasDelayMs ?? rules.delayMs ?? 0), name: a.name, xml: a.xml });
    this.o.note?.(`took ${name} (金二): ${answers.map((a) => a.name.split('_')[0]).join(', ')}`);
  }

  private async take(name: string): Promise<void> {
    const file = join(this.o.outbox, name);
    const xml = await readFile(file, 'utf8');
    await rename(file, join(this.work, `${Date.now()}-${name}`));
    if (isSasPackage(xml)) return this.takeSas(name, xml);
    const check = formatCheck(xml);
    const m: SimMessage = { fileName: name, type: check.type, guid: check.guid, n: ++this.taken };
    const rules = this.o.rules ?? {};
    const now = this.now();
    const answers: { name: string; xml: string }[] = [];
    const transmission = (ok: boolean) => ({ name: `${ok ? 'Successed_' : 'Failed_'}${name}`, xml: ok ? xml : `<Result><success>false</success><message>the single window refused the file</message></Result>\n` });
    if (rules.transmissionFail?.(m)) answers.push(transmission(false));
    else {
      const format = check.problems.length > 0 ? check.problems.join('; ') : rules.formatError?.(m) ? 'simulated format error' : undefined;
      const business = format === undefined ? businessReceiptXml({ type: m.type, guid: m.guid, head: check.head, status: rules.reject?.(m) ? '100' : '2', info: rules.reject?.(m) ? '退单: simulated business rejection' : '申报成功', nowMs: now }) : undefined;
      const receipt = format !== undefined ? { name: `CEB900_${m.guid || name.replace(/\.xml$/i, "")}.xml`, xml: ceb900Xml({ guid: m.guid, type: m.type, status: '-1', info: format, nowMs: now }) } : business && { name: `${business.type}_${m.guid}.xml`, xml: business.xml };
      const ordered = [transmission(true), ...(receipt ? [receipt] : [])];
      answers.push(...(rules.outOfOrder ? ordered.reverse() : ordered));
    }
    const all = rules.duplicates ? answers.flatMap((a) => [a, { name: `${a.name.replace(/\.xml$/, '')}.dup.xml`, xml: a.xml }]) : answers;
    // Answers keep their order through the InBox's name order by a sequence prefix only where the rule wants order kept.
    for (const a of all) this.pending.push({ dueMs: now + (rules.delayMs ?? 0), name: a.name, xml: a.xml });
    this.o.note?.(`took ${name} (${m.type} ${m.guid})${check.problems.length ? `: format error ${check.problems[0]}` : ''}`);
  }
}

const USAGE = `usage: bondgate sim eport --outbox DIR --inbox DIR [--work DIR] [--poll-ms 500] [--delay-ms 0]
        [--reject-every N] [--format-error-every N] [--fail-every N] [--duplicates] [--out-of-order]
        [--away-every-ms N --away-for-ms N] [--sas-reject-every N] [--sas-reject-reason TEXT] [--sas-delay-ms N]
  a single-window client: takes the hub's OutBox files and answers into its InBox (transmission results, CEB900,
  CEB712/508/510); every Nth message rejected / format-refused / not transmitted, answers delayed, doubled,
  reversed, and the client away for a while every so often. 金二 INV101/SAS121 are answered as customs' SAS would
  (INV201 + INV211 for entries, SAS221 with a 24-character number), every Nth returned with a reason, delayed.`;

export async function runEportSimCli(argv: string[]): Promise<{ stop(): Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      outbox: { type: 'string' },
      inbox: { type: 'string' },
      work: { type: 'string' },
      'poll-ms': { type: 'string', default: '500' },
      'delay-ms': { type: 'string', default: '0' },
      'reject-every': { type: 'string' },
      'format-error-every': { type: 'string' },
      'fail-every': { type: 'string' },
      duplicates: { type: 'boolean' },
      'out-of-order': { type: 'boolean' },
      'away-every-ms': { type: 'string' },
      'away-for-ms': { type: 'string' },
      'sas-reject-every': { type: 'string' },
      'sas-reject-reason': { type: 'string', default: '退单: simulated SAS rejection' },
      'sas-delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.outbox || !values.inbox) {
    console.log(USAGE);
    if (!values.help) process.exitCode = 2;
    return { stop: async () => undefined };
  }
  const every = (v: string | undefined) => (v ? (m: SimMessage) => m.n % Number(v) === 0 : undefined);
  const rules: EportSimRules = { delayMs: Number(values['delay-ms']), duplicates: values.duplicates ?? false, outOfOrder: values['out-of-order'] ?? false };
  const reject = every(values['reject-every']);
  const formatError = every(values['format-error-every']);
  const fail = every(values['fail-every']);
  if (reject) rules.reject = reject;
  if (formatError) rules.formatError = formatError;
  if (fail) rules.transmissionFail = fail;
  const sasEvery = Number(values['sas-reject-every'] ?? 0);
  const sasReason = values['sas-reject-reason'];
  if (sasEvery > 0) rules.sas = { reject: (m) => (m.n % sasEvery === 0 ? sasReason : undefined) };
  if (values['sas-delay-ms'] !== undefined) rules.sasDelayMs = Number(values['sas-delay-ms']);
  const sim = new EportClientSim({ outbox: resolve(values.outbox), inbox: resolve(values.inbox), ...(values.work ? { work: resolve(values.work) } : {}), rules, note: (l) => console.log(l) });
  console.log(`simulated single-window client: OutBox ${resolve(values.outbox)} → InBox ${resolve(values.inbox)}`);
  const pollMs = Number(values['poll-ms']);
  const timer = setInterval(() => void sim.step().catch((e: Error) => console.error(`sim eport: ${e.message}`)), pollMs);
  const awayEvery = Number(values['away-every-ms'] ?? 0);
  const awayFor = Number(values['away-for-ms'] ?? 0);
  const awayTimer =
    awayEvery > 0 && awayFor > 0
      ? setInterval(() => {
          sim.goAway();
          console.log(`away for ${awayFor} ms`);
          setTimeout(() => (sim.comeBack(), console.log('back')), awayFor).unref();
        }, awayEvery)
      : undefined;
  return {
    stop: async () => {
      clearInterval(timer);
      if (awayTimer) clearInterval(awayTimer);
      await sim.step().catch(() => undefined);
    },
  };
}
