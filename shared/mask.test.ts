import { describe, expect, it } from 'vitest';
import { maskIdNumber, maskPersonal, maskPhone } from './mask.ts';

describe('personal data masking', () => {
  it('keeps the region prefix and the last four of an 18-character ID', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110***********002X');
    expect(maskIdNumber('AB1234')).toBe('A***34');
    expect(maskIdNumber('123')).toBe('***');
  });
  it('keeps the first three and last four digits of a phone number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('138 1234 5678')).toBe('138****5678');
    expect(maskPhone('12345')).toBe('*****');
  });
  it('masks nested objects and arrays and redacts secrets', () => {
    const out = maskPersonal({ order: { buyerIdNumber: '11010519491231002X', buyerName: '张三', lines: [{ consigneeTelephone: '13812345678' }] }, password: 'p', token: 't' });
    expect(out).toEqual({ order: { buyerIdNumber: '110***********002X', buyerName: '张三', lines: [{ consigneeTelephone: '138****5678' }] }, password: '[redacted]', token: '[redacted]' });
  });
});
