import { describe, expect, it } from 'vitest';
import { maskIdNumber, maskPersonal, maskPhone } from './mask.ts';

describe('personal data masking', () => {
  it('keeps the region prefix and the last four of an 18-character ID', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110***********002X');
    expect(maskIdNumber('110105194912310')).toBe('110********2310'); // 15-character (first-generation) ID
    expect(maskIdNumber('AB1234')).toBe('A***34');
    expect(maskIdNumber('123')).toBe('***');
    expect(maskIdNumber('')).toBe('');
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

  it('masks personal fields at any depth, inside arrays of arrays, and leaves other fields alone', () => {
    const input = {
      batch: [[{ payerIdNumber: '11010519491231002X', telephone: '13912345678', logisticsNo: 'EA123456785CN' }], []],
      gateway: { phone: '13712345678', auth: { password: { hash: 'x' }, token: null, privateKeyPem: '-----BEGIN PRIVATE KEY-----' } },
      count: 3,
      note: null,
    };
    const out = maskPersonal(input);
    expect(out).toEqual({
      batch: [[{ payerIdNumber: '110***********002X', telephone: '139****5678', logisticsNo: 'EA123456785CN' }], []],
      gateway: { phone: '137****5678', auth: { password: '[redacted]', token: '[redacted]', privateKeyPem: '[redacted]' } },
      count: 3,
      note: null,
    });
    expect(input.gateway.phone).toBe('13712345678'); // a copy: the input is untouched
    expect(maskPersonal([{ idNumber: '11010519491231002X' }, 'free text', 1])).toEqual([{ idNumber: '110***********002X' }, 'free text', 1]);
  });

  it('masks phones and IDs that arrive as numbers', () => {
    expect(maskPersonal({ buyerTelephone: 13812345678, idNumber: 110105194912310 })).toEqual({ buyerTelephone: '138****5678', idNumber: '110********2310' });
  });
});
