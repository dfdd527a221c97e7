import { expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import type { ExchangeReceipt } from '../eport/exchange-messages.ts';
import { EPORT_SAMPLE_INPUTS } from '../eport/exchange-samples.ts';
import { enqueueMessage, guidForCause, openEportMessageRepo } from './eport-messages.ts';

const receipt = (guid: string, x: Partial<ExchangeReceipt>): ExchangeReceipt => ({ id: `r:${guid}:${x.kind}:${x.status}`, kind: 'business', guid, subject: null, answers: null, messageType: 'CEB508', status: '2', info: null, returnTime: '20261207100000000', refused: false, fileName: 'f.xml', ...x });

it('guidForCause: a CEB guid (36, upper case, UUID-shaped), the same for the same cause', () => {
  expect(guidForCause('CEB507:HP1')).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  expect(guidForCause('CEB507:HP1')).toBe(guidForCause('CEB507:HP1'));
  expect(guidForCause('CEB507:HP1')).not.toBe(guidForCause('CEB509:HP1'));
});

eachStore('e-port outbox repository', (store) => {
  it('enqueue in a caller transaction, once by cause; sent; receipts applied once; correlation by copNo; requeue; overdue once; counts and filters', async () => {
    const repo = openEportMessageRepo(store().sql);
    await repo.migrate();
    const t0 = 1_000_000;
    const a = await store().sql.tx(() => enqueueMessage({ cause: 'repo:a', messageType: 'CEB507', input: EPORT_SAMPLE_INPUTS.CEB507, subject: 'COP-A' }, t0));
    expect(a.created).toBe(true);
    expect((await repo.enqueue({ cause: 'repo:a', messageType: 'CEB507', input: {}, subject: 'x' }, t0)).created).toBe(false);
    const b = await repo.enqueue({ cause: 'repo:b', messageType: 'CEB509', input: EPORT_SAMPLE_INPUTS.CEB509, subject: 'COP-B' }, t0);
    expect((await repo.due(t0, 10)).map((r) => r.guid).sort()).toEqual([a.guid, b.guid].sort());

    await repo.markAttemptFailed(b.guid, 'sign: card away', t0 + 5000, t0);
    expect((await repo.due(t0 + 1, 10)).map((r) => r.guid)).toEqual([a.guid]);
    await repo.markSent(a.guid, 'CEB507_x.xml', t0 + 10);
    expect(await repo.get(a.guid)).toMatchObject({ state: 'sent', attempts: 1, fileName: 'CEB507_x.xml', sentMs: t0 + 10 });

    const r1 = receipt(a.guid, { kind: 'business', status: '2' });
    expect(await repo.applyReceipt(r1, t0 + 20)).toMatchObject({ kind: 'applied', before: 'sent', message: { state: 'receipt', receiptStatus: '2' } });
    expect(await repo.applyReceipt(r1, t0 + 30)).toEqual({ kind: 'duplicate' });
    // A business receipt naming no guid we know, correlated by copNo and the type it answers.
    expect(await repo.applyReceipt(receipt('00000000-0000-0000-0000-000000000000', { id: 'by-cop', kind: 'business', subject: 'COP-B', answers: 'CEB509', status: '100', refused: true }), t0 + 40)).toMatchObject({ message: { guid: b.guid, state: 'receipt', receiptStatus: '100' } });
    expect((await repo.receipts(b.guid)).map((r) => r.id)).toEqual(['by-cop']);
    expect(await repo.applyReceipt(receipt('11111111-0000-0000-0000-000000000000', { id: 'stray' }), t0)).toMatchObject({ kind: 'applied', message: undefined });

    const c = await repo.enqueue({ cause: 'repo:c', messageType: 'CEB711', input: EPORT_SAMPLE_INPUTS.CEB711, subject: '784-1' }, t0);
    await repo.markSent(c.guid, 'CEB711_c.xml', t0 + 50);
    expect((await repo.takeOverdue(t0 + 100, t0 + 200)).map((r) => r.guid)).toEqual([c.guid]);
    expect(await repo.takeOverdue(t0 + 100, t0 + 300)).toEqual([]);
    expect(await repo.requeue(a.guid, t0)).toBeUndefined(); // has its receipt
    expect(await repo.requeue(c.guid, t0 + 400)).toMatchObject({ state: 'queued', alarmedMs: null });

    expect(await repo.countsByState()).toEqual({ queued: 1, sent: 0, receipt: 2, failed: 0 });
    expect((await repo.list({ state: 'receipt', limit: 10 })).map((r) => r.subject).sort()).toEqual(['COP-A', 'COP-B']);
    expect((await repo.list({ q: 'COP-', messageType: 'CEB509', limit: 10 })).map((r) => r.guid)).toEqual([b.guid]);
    expect((await repo.list({ q: c.guid.slice(0, 8).toLowerCase(), limit: 10 })).map((r) => r.guid)).toEqual([c.guid]);
  });
});
