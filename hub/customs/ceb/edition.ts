import type { CebMessage } from './parse.ts';
import { CEB_MESSAGE_XSD, CEB_XSD_RULES, type CebType } from './rules.generated.ts';
import { CEB_NS, type Content, type Particle, type XsdRules } from './schema.ts';

/**
 * The editions of the CEB message standard the hub accepts, and how it tells them apart.
 *
 * - **2022-05**: the official XSDs vendored in `./xsd` (rules.generated.ts is derived from them).
 * - **2018**: the earlier edition. Its XSDs are not published where this project could vendor them, so the hub
 *   holds it as the 2022-05 rules plus the differences below, each with its source. Where no difference is known the
 *   editions' rules coincide, and a message is read by the 2022-05 rules (its detected edition says so).
 *
 * Both editions use the same namespace (`http://www.chinaport.gov.cn/ceb`), the same root names and the same
 * `version` attribute ("1.0" in the samples of both), so the edition is read from the content: an element one
 * edition has and the other does not. A message that has marks of both is read as 2022-05, and its 2018-shaped blocks
 * are then reported by the 2022-05 rules (a mixed message is wrong under either edition).
 */

export type CebEdition = '2018' | '2022-05';
export const CEB_EDITIONS: readonly CebEdition[] = ['2022-05', '2018'];

export interface DetectedEdition {
  edition: CebEdition;
  /** Why: the distinguishing element, or that the message has none (the editions agree for this type). */
  basis: string;
}

interface EditionDifference {
  type: CebType;
  /** The global element (of the type's XSD file) whose content differs. */
  element: string;
  /** Its content in the 2018 edition. */
  sequence2018: Particle[];
  /** An element only the 2022-05 edition has inside `element`: its presence marks a 2022-05 message. */
  mark2022: string;
  source: string;
}

const value = (name: string, rule: Extract<Content, { kind: 'value' }>['rule'], min = 1): Particle => ({ name, ns: 'ceb', min, max: 1, content: { kind: 'value', rule } });

/**
 * The 2018 edition's differences from 2022-05 known to the hub. The one the issue and the samples show is CEB792's
 * list: 2022-05 added `gseqno` (the summary's own item number) before `gnum`, and re-sized invtNo (18 → ≤20) and
 * logisticsNo (≤80 → ≤32). Source: the 2018 list's structure and facets as a JAXB binding generated from that
 * edition's XSD records them (invtNo length 18, logisticsNo maxLength 80, gnum int totalDigits 5, gcode length 10; no
 * gseqno); the head is the same in both.
 */
export const EDITION_2018_DIFFERENCES: readonly EditionDifference[] = [
  {
    type: 'CEB792',
    element: 'SummaryResultList',
    sequence2018: [
      value('invtNo', { base: 'string', length: 18 }),
      value('logisticsNo', { base: 'string', maxLength: 80 }),
      value('gnum', { base: 'int', totalDigits: 5 }),
      value('gcode', { base: 'string', length: 10 }),
    ],
    mark2022: 'gseqno',
    source: '2018 CEB792 SummaryResultList: invtNo(18), logisticsNo(≤80), gnum, gcode — no gseqno',
  },
];

const DIFFERENCES_BY_TYPE = new Map<CebType, EditionDifference[]>();
for (const d of EDITION_2018_DIFFERENCES) DIFFERENCES_BY_TYPE.set(d.type, [...(DIFFERENCES_BY_TYPE.get(d.type) ?? []), d]);

/** Every element named `name` in the CEB namespace, anywhere below `el`. */
function* descendants(el: CebMessage['root'], name: string): Generator<CebMessage['root']> {
  for (const c of el.children) {
    if (c.ns === CEB_NS && c.name === name) yield c;
    yield* descendants(c, name);
  }
}

/** Which edition a message is written in (pure; see the module comment for the policy). */
export function detectEdition(message: CebMessage): DetectedEdition {
  const differences = DIFFERENCES_BY_TYPE.get(message.type) ?? [];
  if (differences.length === 0) return { edition: '2022-05', basis: `${message.type} is the same in both editions` };
  let marks2018 = 0;
  for (const d of differences) {
    for (const el of descendants(message.root, d.element)) {
      if (el.children.some((c) => c.ns === CEB_NS && c.name === d.mark2022)) return { edition: '2022-05', basis: `${d.element} has ${d.mark2022}` };
      marks2018++;
    }
  }
  return marks2018 > 0
    ? { edition: '2018', basis: `${differences.map((d) => `${d.element} without ${d.mark2022}`).join(', ')}` }
    : { edition: '2022-05', basis: `no ${differences.map((d) => d.element).join(' or ')} in the message: the editions agree on the rest` };
}

const rulesCache = new Map<string, XsdRules>();

/** The XSD rules of `type` in `edition`: the 2022-05 table, with the 2018 differences swapped in for 2018. */
export function editionRules(edition: CebEdition, type: CebType): XsdRules {
  const base = CEB_XSD_RULES[CEB_MESSAGE_XSD[type]];
  const differences = edition === '2018' ? (DIFFERENCES_BY_TYPE.get(type) ?? []) : [];
  if (differences.length === 0) return base;
  const cacheKey = `${edition}:${type}`;
  let rules = rulesCache.get(cacheKey);
  if (!rules) {
    const elements = { ...base.elements };
    for (const d of differences) elements[d.element] = { kind: 'sequence', sequence: d.sequence2018 };
    rules = { messages: base.messages, elements };
    rulesCache.set(cacheKey, rules);
  }
  return rules;
}
