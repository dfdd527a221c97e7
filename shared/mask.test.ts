import { describe, expect, it } from 'vitest';
import { maskAddress, maskForViewer, maskIdNumber, maskName, maskPersonal, maskPhone } from './mask.ts';

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
    expect(out).toEqual({ order: { buyerIdNumber: '110***********002X', buyerName: '张*', lines: [{ consigneeTelephone: '138****5678' }] }, password: '[redacted]', token: '[redacted]' });
  });

  it('masks names and addresses: the family name and the opening of an address stay', () => {
    expect(maskPersonal({ buyerName: '欧阳晓梅', payerName: 'Li', consignee: '王五', consigneeAddress: '浙江省杭州市西湖区文三路478号华星时代广场A座1203室' })).toEqual({ buyerName: '欧***', payerName: 'L*', consignee: '王*', consigneeAddress: `浙江省杭州市${'*'.repeat(23)}` });
    expect(maskAddress('北京')).toBe('**');
    expect(maskName('')).toBe('*');
  });

  it('masks a finding about a personal field: its values and the message quoting them, stored before masking or after', () => {
    const stored = { rule: 'payment.payer-is-buyer', field: 'buyerName', rightField: 'payerName', left: '欧阳晓梅', right: '司马长风', message: 'order.buyerName "欧阳晓梅" ≠ payment.payerName "司马长风"' };
    const once = maskPersonal(stored);
    expect(once).toEqual({ ...stored, left: '欧***', right: '司***', message: 'order.buyerName "欧***" ≠ payment.payerName "司***"' });
    expect(maskPersonal(once)).toEqual(once);
    const issue = { rule: 'header.differs', field: 'consigneeAddress', expected: '上海市浦东新区世纪大道100号', actual: '上海市浦东新区世纪大道200号', message: 'x' };
    expect(maskPersonal(issue)).toMatchObject({ expected: `上海市浦东${'*'.repeat(10)}`, actual: `上海市浦东${'*'.repeat(10)}` });
    // A finding about another field is left as it is.
    const other = { field: 'orderNo', left: 'A1', right: 'A2', message: 'orderNo "A1" ≠ "A2"' };
    expect(maskPersonal(other)).toEqual(other);
  });

  it('shows officers everything; every other role gets the masked form, without redacting what a response means to show', () => {
    const body = { buyerName: '张三', password: 'shown-once' };
    expect(maskForViewer('officer', body)).toBe(body);
    for (const role of ['manager', 'admin', 'operator', undefined]) expect(maskForViewer(role, body)).toEqual({ buyerName: '张*', password: 'shown-once' });
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
