import { describe, expect, it } from 'vitest';
import { UnsignedNoopSigner } from '../customs/ceb/generate.ts';
import { approvedExit, enterprise } from '../bonded/fixtures.ts';
import { buildInv101, type ListPricing } from '../bonded/messages.ts';
import { receiptToXml } from '../bonded/sim-wire.ts';
import { buildSignedMessage, classifyInboxFile } from './exchange-messages.ts';
import { Sm2FileSigner } from './file-signer.ts';
import { makeTestPki } from './test-pki.ts';
import { TrustStore } from './trust.ts';
import { verifyEnvelopedSignature } from './xmldsig.ts';

const NOW = Date.parse('2026-12-07T02:00:00Z');
const pki = makeTestPki({ nowMs: NOW });
const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
const GUID = 'A1B2C3D4-0000-4000-8000-0000000000B1';
const pricing = new Map<number, ListPricing>([1, 2].map((n) => [n, { dclCurrcd: '142', dclUprcAmt: '10', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: 'x' }]));
const list = { ...approvedExit(3, 4), bondInvtNo: null, listStat: 'draft' as const, vrfdedMarkcd: '0' as const };
const body = () => {
  const b = buildInv101(list, enterprise, pricing, NOW);
  if (!b.ok) throw new Error('fixture');
  return b.xml;
};
const row = (input: Record<string, unknown>) => ({ guid: GUID, messageType: 'INV101' as const, input, createdMs: NOW });

describe('金二 messages on the e-port channel', () => {
  it('INV101 leaves enveloped under its guid and signed; the signature verifies with the signer certificate', async () => {
    const r = await buildSignedMessage(row({ body: body() }), signer, { senderId: 'DXPENT0000067890' });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.xml).toContain(`<EnvelopInfo><version>1.0</version><message_id>${GUID}</message_id><file_name>INV101_${GUID}.xml</file_name><message_type>INV101</message_type><sender_id>DXPENT0000067890</sender_id>`);
    expect(r.xml).toContain('<InvtHeadType>');
    expect(verifyEnvelopedSignature(r.xml, { trust: new TrustStore({ anchors: [pki.caPem] }), nowMs: NOW }).status).toBe('verified');
  });

  it('never leaves unsigned, nor with a field that breaks a rule (checked on the signed bytes)', async () => {
    expect(await buildSignedMessage(row({ body: body() }), new UnsignedNoopSigner())).toMatchObject({ ok: false, stage: 'sign' });
    const broken = body().replace(/<putrecNo>[^<]*<\/putrecNo>/, '<putrecNo>SHORT</putrecNo>');
    expect(await buildSignedMessage(row({ body: broken }), signer)).toMatchObject({ ok: false, stage: 'validate', issues: [{ field: 'InvtHeadType.putrecNo', message: 'must be 12 characters' }] });
    expect(await buildSignedMessage(row({}), signer)).toMatchObject({ ok: false, stage: 'generate' });
  });

  it('an InBox <Package> is a 金二 receipt for the book; a broken one is refused with the reason', () => {
    const f = classifyInboxFile('INV201_x.xml', new TextEncoder().encode(receiptToXml({ type: 'INV201', receiptId: 'R-1', etpsInnerInvtNo: 'BG-E-1', bondInvtNo: 'QD530126E000000001', invtStucd: '0', vrfdedMarkcd: '1', entryStucd: '1' })));
    expect(f).toMatchObject({ kind: 'bonded', type: 'INV201', receipt: { receiptId: 'R-1', etpsInnerInvtNo: 'BG-E-1' } });
    expect(classifyInboxFile('x.xml', new TextEncoder().encode('<?xml version="1.0"?><Package><DataInfo/></Package>'))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('message_id') });
  });
});
