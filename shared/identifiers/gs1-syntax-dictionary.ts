/**
 * Reader for GS1's Barcode Syntax Dictionary (gs1-syntax-dictionary.txt beside this file, Apache-2.0, maintained by
 * GS1 AISBL): one line per AI or AI range with its FNC1 flag, its components (character set, length, linters) and its
 * title. Pure. `gen-gs1-ai-table.ts` runs it once to write gs1-ai-table.ts, so the parser carries no file reads and
 * a dictionary update is a file swap plus one command; a test checks the generated table still matches the file.
 */

export type AiCharset = 'N' | 'X' | 'Y' | 'Z';

export interface AiComponent {
  /** N numeric, X GS1 character set 82, Y character set 39, Z base64url (character set 64). */
  cset: AiCharset;
  min: number;
  max: number;
  /** `[...]`: may be left out once the data is exhausted. */
  optional: boolean;
  /** Names of GS1 syntax tests ("linters") applied to this component, e.g. csum, yymmd0. */
  linters: readonly string[];
}

export interface AiEntry {
  /** First and last AI of the range (equal for a single AI); same length. */
  from: string;
  to: string;
  /** `*`: a predefined-length AI, never followed by an FNC1 separator. */
  predefined: boolean;
  components: readonly AiComponent[];
  title?: string;
}

const AI_RANGE = /^(\d{2,4})(?:-(\d{2,4}))?$/;
const FLAGS = /^[*?!"$%&'()+,\-./:;<=>@[\\\]^_`{|}~]+$/;
const COMPONENT = /^(\[)?([NXYZ])(\.\.)?(\d+)(\])?((?:,[a-z0-9]+)*)$/;

function parseComponent(token: string, line: number): AiComponent {
  const m = COMPONENT.exec(token);
  if (!m) throw new SyntaxError(`gs1-syntax-dictionary line ${line}: bad component ${JSON.stringify(token)}`);
  const [, open, cset, dots, len, close, linters] = m;
  if (Boolean(open) !== Boolean(close)) throw new SyntaxError(`gs1-syntax-dictionary line ${line}: unbalanced [ ] in ${token}`);
  const n = Number(len);
  return {
    cset: cset as AiCharset,
    min: dots ? 1 : n,
    max: n,
    optional: Boolean(open),
    linters: linters ? linters.slice(1).split(',') : [],
  };
}

/** Every AI entry of the dictionary text, in file order. Throws SyntaxError on a line it cannot read. */
export function readSyntaxDictionary(text: string): AiEntry[] {
  const entries: AiEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const body = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (body === '') return;
    const title = hash < 0 ? undefined : raw.slice(hash + 1).trim() || undefined;
    const tokens = body.split(/\s+/);
    const range = AI_RANGE.exec(tokens[0]!);
    if (!range) throw new SyntaxError(`gs1-syntax-dictionary line ${i + 1}: bad AI ${JSON.stringify(tokens[0])}`);
    let t = 1;
    let predefined = false;
    if (tokens[t] !== undefined && FLAGS.test(tokens[t]!)) predefined = tokens[t++]!.includes('*');
    const components: AiComponent[] = [];
    // Components come first; attributes (req=…, ex=…, dlpkey…) follow and are not needed for parsing.
    for (; t < tokens.length && COMPONENT.test(tokens[t]!); t++) components.push(parseComponent(tokens[t]!, i + 1));
    if (components.length === 0) throw new SyntaxError(`gs1-syntax-dictionary line ${i + 1}: no specification`);
    entries.push({ from: range[1]!, to: range[2] ?? range[1]!, predefined, components, ...(title !== undefined && { title }) });
  });
  return entries;
}
