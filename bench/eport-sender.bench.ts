import { UnsignedNoopSigner } from '../hub/customs/ceb/generate.ts';
import { buildSignedMessage } from '../hub/eport/exchange-messages.ts';
import { EPORT_SAMPLE_INPUTS } from '../hub/eport/exchange-samples.ts';
import { Sm2FileSigner } from '../hub/eport/file-signer.ts';
import { makeTestPki } from '../hub/eport/test-pki.ts';
import { fmt, line } from './stats.ts';

/**
 * What the sender does per outgoing message on the main thread (issue 18): build from the outbox row, sign with the
 * soft SM2 signer, re-parse and check against the XSD rules. Reference in the same run: the same build with the no-op
 * signer (generation and the XSD check, no C14N/SM3/SM2). A CEB711 of 100 parcels (the size a master bill's tally
 * sends) and the 2-parcel sample. Used to decide whether signing needs the worker pool.
 */
export async function benchEportSender(): Promise<void> {
  const pki = makeTestPki({ nowMs: Date.now() });
  const signer = new Sm2FileSigner({ privateKey: pki.signer.privateKeyPem, certificate: pki.signer.certificatePem });
  const noop = new UnsignedNoopSigner();
  const N = Number(process.env.BENCH_EPORT_N ?? 200);
  const big = { ...EPORT_SAMPLE_INPUTS.CEB711, list: Array.from({ length: 100 }, (_, i) => ({ logisticsNo: `SF14298765${String(i).padStart(5, '0')}` })) };
  const rows = [
    ['CEB711, 2 parcels', { guid: 'A1B2C3D4-0000-4000-8000-000000000001', messageType: 'CEB711' as const, input: EPORT_SAMPLE_INPUTS.CEB711, createdMs: Date.now() }],
    ['CEB711, 100 parcels', { guid: 'A1B2C3D4-0000-4000-8000-000000000002', messageType: 'CEB711' as const, input: big, createdMs: Date.now() }],
  ] as const;
  const rate = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 10; i++) await fn();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await fn();
    const ms = performance.now() - t0;
    return { perSecond: N / (ms / 1000), msEach: ms / N };
  };
  console.log(`\n## E-port sender: build + sign + XSD check per message on one thread, ${N} each`);
  for (const [label, row] of rows) {
    const ref = await rate(() => buildSignedMessage(row, noop));
    const signed = await rate(() => buildSignedMessage(row, signer));
    line(`${label}: reference (no-op signer, refused at the signature check)`, `${fmt(ref.perSecond)} msg/s`, `${fmt(ref.msEach, 2)} ms each`);
    line(`${label}: signed (SM2 file signer)`, `${fmt(signed.perSecond)} msg/s`, `${fmt(signed.msEach, 2)} ms each`);
  }
}
