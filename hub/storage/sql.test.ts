import { expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import { all, lock, one, run, toPgPlaceholders } from './sql.ts';

it('rewrites ? placeholders to $n for PostgreSQL', () => {
  expect(toPgPlaceholders('SELECT a FROM t WHERE b = ? AND c IN (?, ?)')).toBe('SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)');
});

eachStore('SQL port', (store) => {
  it('migrates a module once, numbers come back as numbers, and a transaction commits or rolls back whole', async () => {
    const sql = store().sql;
    const steps = ['CREATE TABLE port_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, x DOUBLE PRECISION)', { sqlite: 'CREATE INDEX port_t_n ON port_t (n)', postgres: 'CREATE INDEX port_t_n ON port_t (n)' }];
    await sql.migrate('port-test', steps);
    await sql.migrate('port-test', steps); // idempotent
    const changed = await sql.tx(function* () {
      yield* lock('k1');
      const a = yield* run('INSERT INTO port_t (k, n, x) VALUES (?, ?, ?)', ['k1', 1_800_000_000_000, 1.5]);
      const b = yield* run('INSERT INTO port_t (k, n, x) VALUES (?, ?, ?) ON CONFLICT (k) DO UPDATE SET n = excluded.n', ['k1', 7, 2.5]);
      return a + b;
    });
    expect(changed).toBe(2);
    expect(await sql.all('SELECT k, n, x FROM port_t')).toEqual([{ k: 'k1', n: 7, x: 1.5 }]);
    await expect(
      sql.tx(function* () {
        yield* run('INSERT INTO port_t (k, n) VALUES (?, ?)', ['k2', 2]);
        throw new Error('business rule refused');
      }),
    ).rejects.toThrow('business rule refused');
    expect(await sql.all('SELECT k FROM port_t ORDER BY k')).toEqual([{ k: 'k1' }]);
    const sum = await sql.tx(function* () {
      return yield* one<{ total: number; c: number }>('SELECT SUM(n) AS total, COUNT(*) AS c FROM port_t');
    });
    expect(sum).toEqual({ total: 7, c: 1 });
    const rows = await sql.tx(function* () {
      return yield* all<{ k: string }>('SELECT k FROM port_t WHERE k LIKE ?', ['k%']);
    });
    expect(rows).toEqual([{ k: 'k1' }]);
  });
});
