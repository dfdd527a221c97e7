import { run, type Sql } from '../storage/sql.ts';

/**
 * A synthetic link table for scale tests and the benchmark: row i is a pure function of i, spread over `GTINS`
 * products × `LOTS` lots, so each (GTIN, lot) has n / (GTINS × LOTS) parcels and a test knows which without reading.
 * Bulk-loaded straight into trace_item (the table the queries read), bypassing the per-order relink.
 */
export const GTINS = 1000;
export const LOTS = 20;
const BASE_MS = 1_750_000_000_000;

export interface SyntheticItem {
  orderNo: string;
  gtin: string;
  lot: string;
  parcelKey: string;
  buyerKey: string;
}

const pad8 = (i: number) => i.toString().padStart(8, '0');

export function syntheticItem(i: number): SyntheticItem {
  return {
    orderNo: `SO${pad8(i)}`,
    gtin: String(10_000_000_000_000 + (i % GTINS)),
    lot: `L${Math.floor(i / GTINS) % LOTS}`,
    parcelKey: `SP${pad8(i)}`,
    buyerKey: (i % 400_000).toString(16).padStart(64, '0'),
  };
}

/** The rows of one (product, lot) among the first n, as syntheticItem lays them out. */
export function syntheticIndexes(n: number, product: number, lot: number): number[] {
  const out: number[] = [];
  for (let i = product; i < n; i += GTINS) if (Math.floor(i / GTINS) % LOTS === lot) out.push(i);
  return out;
}

const COLUMNS = 'order_no, gtin, lot, parcel_key, buyer_key, buyer_id_masked, buyer_name_masked, qty, source, at_ms';

/**
 * Insert rows [0, n) of the synthetic table. SQLite: multi-row INSERTs of 1,000 rows, 100,000 rows per transaction.
 * PostgreSQL: INSERT … SELECT FROM generate_series, the same formulas written in SQL (one statement per 200,000 rows).
 */
export async function bulkInsertSyntheticItems(sql: Sql, n: number): Promise<void> {
  if (sql.dialect === 'postgres') {
    const STEP = 200_000;
    for (let from = 0; from < n; from += STEP) {
      const to = Math.min(n, from + STEP) - 1;
      await sql.tx(function* () {
        yield* run(
          `INSERT INTO trace_item (${COLUMNS})
           SELECT 'SO' || lpad(i::text, 8, '0'), (10000000000000 + i % ${GTINS})::text, 'L' || ((i / ${GTINS}) % ${LOTS})::text, 'SP' || lpad(i::text, 8, '0'),
                  lpad(to_hex(i % 400000), 64, '0'), '110***********1234', '张*', 1, 'pick', ${BASE_MS} + i
           FROM generate_series(?::bigint, ?::bigint) AS i`,
          [from, to],
        );
      });
    }
    return;
  }
  const ROWS = 1000;
  const PER_TX = 100_000;
  const statement = `INSERT INTO trace_item (${COLUMNS}) VALUES ${Array.from({ length: ROWS }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
  for (let from = 0; from < n; from += PER_TX) {
    const end = Math.min(n, from + PER_TX);
    await sql.tx(function* () {
      for (let start = from; start < end; start += ROWS) {
        const count = Math.min(ROWS, end - start);
        const params: (string | number)[] = [];
        for (let i = start; i < start + count; i++) {
          const r = syntheticItem(i);
          params.push(r.orderNo, r.gtin, r.lot, r.parcelKey, r.buyerKey, '110***********1234', '张*', 1, 'pick', BASE_MS + i);
        }
        const text = count === ROWS ? statement : `INSERT INTO trace_item (${COLUMNS}) VALUES ${Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
        yield* run(text, params);
      }
    });
  }
}
