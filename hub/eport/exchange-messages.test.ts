import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsignedNoopSigner } from '../customs/ceb/generate.ts';
import { businessReceiptXml, ceb900Xml, formatCheck } from '../../cli/sim-eport.ts';
import { buildSignedMessage, classifyInboxFile, receiptTransition, type CebOutgoingType, type ExchangeReceipt } from './exchange-messages.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { makeTestPki } from './test-pki.ts';
import { EPORT_SAMPLE_INPUTS } from './exchange-samples.ts';

const NOW = Date.parse('2026-12-07T02:00:00Z');
const pki = makeTestPki({ nowMs: NOW });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
const GUID = 'A1B2C3D4-0000-4000-8000-000000000001';
const row = (messageType: CebOutgoingType) => ({ guid: GUID, messageType, input: EPORT_SAMPLE_INPUTS[messageType], createdMs: NOW });
const bytes = (s: string) => new TextEncoder().encode(s);

const XSD_DIR = '/work/shared/domain/ceb-xsd-202205';
const XSD: Record<CebOutgoingType, string> = { CEB711: 'import-business.xsd', CEB507: 'export-business.xsd', CEB509: 'export-business.xsd' };
const xmllint = spawnSync('xmllint', ['--version']).error === undefined && spawnSync('test', ['-d', XSD_DIR]).status === 0;

describe('outgoing messages', () => {
  it.each(['CEB711', 'CEB507', 'CEB509'] as const)('%s is built with the row guid (root and head), signed and passes the XSD rules', async (type) => {
    const r = await buildSignedMessage(row(type), signer);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.xml).toContain(`guid="${GUID}"`);
    expect(r.xml).toContain(`<ceb:guid>${GUID}</ceb:guid>`);
    expect(r.xml).toContain('<ds:Signature');
  });

  it('never leaves unsigned: a no-op signer is refused at the sign stage', async () => {
    const r = await buildSignedMessage(row('CEB711'), new UnsignedNoopSigner());
    expect(r).toMatchObject({ ok: false, stage: 'sign' });
  });

  it('a signer that throws (card away, PIN refused) is a sign failure, not an unsigned message', async () => {
    const r = await buildSignedMessage(row('CEB507'), { sign: () => Promise.reject(new Error('card client not reachable')) });
    expect(r).toMatchObject({ ok: false, stage: 'sign', issues: [{ field: 'Signature', message: 'card client not reachable' }] });
  });

  it('an input the XSD refuses never leaves (generate stage)', async () => {
    const r = await buildSignedMessage({ ...row('CEB509'), input: { ...EPORT_SAMPLE_INPUTS.CEB509, copNo: 'X'.repeat(31) } }, signer);
    expect(r).toMatchObject({ ok: false, stage: 'generate' });
  });

  describe.skipIf(!xmllint)('checked by xmllint --schema against the official XSD', () => {
    it.each(['CEB711', 'CEB507', 'CEB509'] as const)('%s', async (type) => {
      const r = await buildSignedMessage(row(type), signer);
      if (!r.ok) throw new Error('not built');
      const dir = mkdtempSync(join(tmpdir(), 'bg-xsd-'));
      const file = join(dir, `${type}.xml`);
      writeFileSync(file, r.xml);
      const out = spawnSync('xmllint', ['--noout', '--schema', join(XSD_DIR, XSD[type]), file], { encoding: 'utf8' });
      expect(out.stderr).toContain('validates');
      expect(out.status).toBe(0);
    });

    it('the simulator receipts (CEB900, CEB712/508/510) validate too', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bg-xsd-'));
      for (const type of ['CEB711', 'CEB507', 'CEB509'] as const) {
        const r = await buildSignedMessage(row(type), signer);
        if (!r.ok) throw new Error('not built');
        const f = formatCheck(r.xml);
        expect(f.problems).toEqual([]);
        const receipt = businessReceiptXml({ type, guid: GUID, head: f.head, status: '2', info: 'ok', nowMs: NOW })!;
        const file = join(dir, `${receipt.type}.xml`);
        writeFileSync(file, receipt.xml);
        const xsd = receipt.type === 'CEB712' ? 'import-business.xsd' : 'export-business.xsd';
        expect(spawnSync('xmllint', ['--noout', '--schema', join(XSD_DIR, xsd), file], { encoding: 'utf8' }).status).toBe(0);
      }
      const file = join(dir, 'CEB900.xml');
      writeFileSync(file, ceb900Xml({ guid: GUID, type: 'CEB711', status: '-1', info: 'bad', nowMs: NOW }));
      expect(spawnSync('xmllint', ['--noout', '--schema', join(XSD_DIR, 'import-business.xsd'), file], { encoding: 'utf8' }).status).toBe(0);
    });
  });
});

describe('classifyInboxFile', () => {
  it('transmission results by prefix, the guid from the file name', () => {
    expect(classifyInboxFile(`Successed_CEB711_${GUID}.xml`, bytes('<x/>'))).toMatchObject({ kind: 'receipt', receipt: { kind: 'transmission', guid: GUID, status: 'succeeded', refused: false } });
    expect(classifyInboxFile(`Failed_CEB711_${GUID}.xml`, bytes('<r>no route</r>'))).toMatchObject({ kind: 'receipt', receipt: { kind: 'transmission', status: 'failed', refused: true, info: 'no route' } });
    expect(classifyInboxFile('Failed_x.xml', bytes('<r/>'))).toMatchObject({ kind: 'refused' });
  });

  it('CEB900 correlates by oriCopMsgId; a negative status refuses', () => {
    const f = classifyInboxFile('a.xml', bytes(ceb900Xml({ guid: GUID, type: 'CEB507', status: '-1', info: 'copNo: too long', nowMs: NOW })));
    expect(f).toMatchObject({ kind: 'receipt', intake: false, receipt: { kind: 'format', guid: GUID, answers: 'CEB507', refused: true, info: 'copNo: too long' } });
  });

  it('CEB508 is a business receipt for our CEB507 (also offered to the intake); other CEB messages go to the intake', async () => {
    const built = await buildSignedMessage(row('CEB507'), signer);
    if (!built.ok) throw new Error('not built');
    const r = businessReceiptXml({ type: 'CEB507', guid: GUID, head: formatCheck(built.xml).head, status: '100', info: '退单', nowMs: NOW })!;
    expect(classifyInboxFile('b.xml', bytes(r.xml))).toMatchObject({ kind: 'receipt', intake: true, receipt: { kind: 'business', guid: GUID, subject: 'YWDD20240728001', answers: 'CEB507', status: '100', refused: true } });
    expect(classifyInboxFile('c.xml', bytes(built.xml))).toMatchObject({ kind: 'intake', type: 'CEB507' });
    expect(classifyInboxFile('d.xml', bytes('<not-ceb/>'))).toMatchObject({ kind: 'refused' });
  });
});

describe('receiptTransition', () => {
  const base = { state: 'sent' as const, transmission: null, formatStatus: null, formatInfo: null, receiptStatus: null, receiptInfo: null, receiptTime: null, receiptMs: null, lastError: null };
  const r = (x: Partial<ExchangeReceipt>): ExchangeReceipt => ({ id: 'i', kind: 'business', guid: GUID, subject: null, answers: null, messageType: null, status: '2', info: null, returnTime: null, refused: false, fileName: 'f', ...x });
  it.each([
    ['transmission ok on sent', base, r({ kind: 'transmission', status: 'succeeded' }), { state: 'sent', transmission: 'succeeded' }],
    ['transmission ok on queued (bookkeeping lost)', { ...base, state: 'queued' as const }, r({ kind: 'transmission', status: 'succeeded' }), { state: 'sent' }],
    ['transmission failed', base, r({ kind: 'transmission', status: 'failed', refused: true }), { state: 'failed', transmission: 'failed' }],
    ['CEB900 refusal', base, r({ kind: 'format', status: '-1', refused: true, info: 'bad' }), { state: 'failed', formatStatus: '-1', lastError: 'CEB900 -1: bad' }],
    ['business receipt', base, r({ status: '2', returnTime: '20261207100000000' }), { state: 'receipt', receiptStatus: '2', receiptMs: 5 }],
    ['failure after a business receipt (out of order) keeps the receipt', { ...base, state: 'receipt' as const, receiptStatus: '2', receiptTime: '1' }, r({ kind: 'transmission', status: 'failed', refused: true }), { state: 'receipt', receiptStatus: '2' }],
    ['an older business receipt arriving late changes nothing shown', { ...base, state: 'receipt' as const, receiptStatus: '120', receiptTime: '20261207110000000', receiptMs: 1 }, r({ status: '2', returnTime: '20261207100000000' }), { state: 'receipt', receiptStatus: '120', receiptMs: 1 }],
    ['a business receipt after a failure wins', { ...base, state: 'failed' as const }, r({ status: '2', returnTime: '1' }), { state: 'receipt' }],
  ])('%s', (_name, before, receipt, expected) => {
    expect(receiptTransition(before, receipt, 5)).toMatchObject(expected);
  });
});
