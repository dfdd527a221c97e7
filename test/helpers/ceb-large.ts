import { fixtureXml } from '../../hub/customs/ceb/fixtures.ts';

/**
 * A CEB311 at the XSD's maximum: `orders` Order blocks (≤ 100) of `lines` OrderList lines each (≤ 99), built from the
 * hand-written fixture (its head and first line repeated, each order with its own orderNo and guid). About 5 MB at
 * 100 × 99: the size that froze the hub when parsed on its main thread.
 */
export function largeCeb311(opts: { orders?: number; lines?: number; prefix?: string } = {}): string {
  const { orders = 100, lines = 99, prefix = 'BIG' } = opts;
  const xml = fixtureXml('CEB311');
  const head = /<ceb:OrderHead>[\s\S]*?<\/ceb:OrderHead>/.exec(xml)![0];
  const line = /<ceb:OrderList>[\s\S]*?<\/ceb:OrderList>/.exec(xml)![0];
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const block = (i: number) => {
    const h = head
      .replace(/<ceb:orderNo>[^<]*</, `<ceb:orderNo>${prefix}${String(i).padStart(6, '0')}<`)
      .replace(/<ceb:guid>[^<]*</, `<ceb:guid>${hex(i, 8)}-0000-4000-8000-${hex(prefix.length * 1000 + i, 12)}<`);
    const ls = Array.from({ length: lines }, (_, j) => line.replace(/<ceb:gnum>\d+</, `<ceb:gnum>${j + 1}<`)).join('\n    ');
    return `<ceb:Order>\n    ${h}\n    ${ls}\n  </ceb:Order>`;
  };
  const body = Array.from({ length: orders }, (_, i) => block(i)).join('\n  ');
  return xml.replace(/<ceb:Order>[\s\S]*<\/ceb:Order>/, body);
}

/**
 * Text → GBK bytes (Node's TextDecoder reads GBK but there is no encoder): the two-byte table is built by decoding every
 * GBK pair once. Enough for test messages; throws on a character GBK has no two-byte code for.
 */
export function encodeGbk(text: string): Buffer {
  const table = new Map<string, [number, number]>();
  const dec = new TextDecoder('gbk', { fatal: true });
  for (let a = 0x81; a <= 0xfe; a++) {
    for (let b = 0x40; b <= 0xfe; b++) {
      if (b === 0x7f) continue;
      try {
        const ch = dec.decode(new Uint8Array([a, b]));
        if (!table.has(ch)) table.set(ch, [a, b]);
      } catch {
        // not a GBK pair
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else {
      const pair = table.get(ch);
      if (!pair) throw new Error(`no GBK code for ${ch}`);
      out.push(...pair);
    }
  }
  return Buffer.from(out);
}
