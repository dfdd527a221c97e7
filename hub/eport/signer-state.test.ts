import { describe, expect, it } from 'vitest';
import { certificateCondition, certificateSignals, conditionOf, conditionSignals, DAY_MS, type SignerCondition } from './signer-state.ts';

const ops = (signals: ReturnType<typeof conditionSignals>) => signals.map((s) => `${s.op} ${s.kind}`);

describe('e-port signer state → alarms', () => {
  it.each([
    ['EPORT_CARD_AWAY', 'away'],
    ['EPORT_CARD_TIMEOUT', 'slow'],
    ['EPORT_CARD_REFUSED', 'refused'],
    ['EPORT_CARD_FAILED', 'failed'],
    [undefined, 'failed'],
  ] as const)('%s → %s', (code, condition) => expect(conditionOf(code)).toBe(condition));

  it.each<[SignerCondition, SignerCondition, string[]]>([
    ['unknown', 'ok', ['clear eport_signer_away', 'clear eport_signer_slow', 'clear eport_signer_refused', 'clear eport_signer_failed']],
    ['ok', 'ok', []],
    ['ok', 'away', ['raise eport_signer_away', 'clear eport_signer_slow', 'clear eport_signer_refused', 'clear eport_signer_failed']],
    ['away', 'away', ['raise eport_signer_away']], // counted again, nothing else touched
    ['away', 'slow', ['raise eport_signer_slow', 'clear eport_signer_away', 'clear eport_signer_refused', 'clear eport_signer_failed']],
    ['refused', 'ok', ['clear eport_signer_away', 'clear eport_signer_slow', 'clear eport_signer_refused', 'clear eport_signer_failed']],
    ['ok', 'unknown', []],
  ])('%s → %s', (prev, next, expected) => expect(ops(conditionSignals(prev, next, 'why'))).toEqual(expected));

  it('severities: away, refused, failed and an expired certificate are critical; slow and an expiring certificate are warnings', () => {
    const sev = (next: SignerCondition) => conditionSignals('ok', next, 'x')[0];
    expect(sev('away')).toMatchObject({ severity: 'critical' });
    expect(sev('refused')).toMatchObject({ severity: 'critical' });
    expect(sev('failed')).toMatchObject({ severity: 'critical' });
    expect(sev('slow')).toMatchObject({ severity: 'warning' });
    expect(certificateSignals('valid', 'expiring', 'x')[0]).toMatchObject({ op: 'raise', kind: 'eport_signer_cert_expiring', severity: 'warning' });
    expect(certificateSignals('expiring', 'expired', 'x')[0]).toMatchObject({ op: 'raise', kind: 'eport_signer_cert_expired', severity: 'critical' });
    expect(ops(certificateSignals('expiring', 'valid', 'x'))).toEqual(['clear eport_signer_cert_expiring', 'clear eport_signer_cert_expired']); // a renewed card
    expect(certificateSignals('expiring', 'expiring', 'x')).toEqual([]);
  });

  it('certificate condition: the warning window is inclusive; outside its validity (either side) it is expired', () => {
    const cert = { validFromMs: 0, validToMs: 100 * DAY_MS };
    expect(certificateCondition(cert, 69 * DAY_MS, 30)).toBe('valid');
    expect(certificateCondition(cert, 70 * DAY_MS, 30)).toBe('expiring');
    expect(certificateCondition(cert, 100 * DAY_MS, 30)).toBe('expiring');
    expect(certificateCondition(cert, 100 * DAY_MS + 1, 30)).toBe('expired');
    expect(certificateCondition(cert, -1, 30)).toBe('expired');
  });
});
