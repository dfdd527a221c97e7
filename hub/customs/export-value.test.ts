import { describe, expect, it } from 'vitest';
import { ExchangeRates, exportValueCny } from './export-value.ts';

describe('export values in CNY (issue 16 item 9)', () => {
  const rates = ExchangeRates.parse({ '502': { '2026-03': 7.1, '2026-04': 7.2 }, '110': { '2026-03': 0.91 } });
  const list = (ieDate: string, lines: { currency: string; totalPrice: number | string }[]) => ({ ieDate, lines: lines.map((l) => ({ ...l, totalPrice: String(l.totalPrice) })) }) as unknown as Parameters<typeof exportValueCny>[0];

  it('converts each line at the monthly rate of the export date; RMB needs none', () => {
    expect(exportValueCny(list('20260315', [{ currency: '502', totalPrice: 10 }]), rates)).toBe('71');
    expect(exportValueCny(list('20260401', [{ currency: '502', totalPrice: 10 }]), rates)).toBe('72');
    expect(exportValueCny(list('20260315', [{ currency: '502', totalPrice: 10 }, { currency: '110', totalPrice: 100 }, { currency: '142', totalPrice: 5.5 }]), rates)).toBe('167.5');
  });

  it('is unknown (null, "no rate"), never 0, when a currency has no rate for the month', () => {
    expect(exportValueCny(list('20260515', [{ currency: '502', totalPrice: 10 }]), rates)).toBeNull();
    expect(exportValueCny(list('20260315', [{ currency: '142', totalPrice: 1 }, { currency: '303', totalPrice: 10 }]), rates)).toBeNull();
    expect(exportValueCny(list('20260315', [{ currency: '502', totalPrice: 10 }]), {})).toBeNull();
  });

  it('refuses malformed rate tables', () => {
    expect(ExchangeRates.safeParse({ USD: { '2026-03': 7 } }).success).toBe(false);
    expect(ExchangeRates.safeParse({ '502': { '2026-13': 7 } }).success).toBe(false);
    expect(ExchangeRates.safeParse({ '502': { '2026-03': 0 } }).success).toBe(false);
  });
});
