import { describe, expect, it } from 'vitest';
import { ReleaseSlip } from '../../shared/stations/feed.ts';
import { expectedWeightKg } from '../../shared/stations/gate.ts';
import {
  bindsParcels,
  formatPassportNo,
  isValidPlate,
  parsePassportNo,
  planSlip,
  problemText,
  SlipIssueRequest,
  voidRefusal,
  type SlipBinding,
  type SlipCase,
  type SlipIssueRequestInput,
} from './release-slips.ts';

const request = (over: Partial<SlipIssueRequestInput> = {}): SlipIssueRequestInput => ({ ioType: 'E', vehicleNo: '粤B12345', parcelKeys: ['P1', 'P2'], ...over });
const parse = (over: Partial<SlipIssueRequestInput> = {}) => SlipIssueRequest.parse(request(over));
const issues = (over: Partial<SlipIssueRequestInput>) => {
  const r = SlipIssueRequest.safeParse(request(over));
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const kase = (parcelKey: string, over: Partial<SlipCase> = {}): SlipCase => ({ parcelKey, status: 'released', direction: 'import', declaredWeightKg: 1.25, ...over });
const casesOf = (...cs: SlipCase[]) => new Map(cs.map((c) => [c.parcelKey, c]));
const none = new Map<string, SlipBinding>();

describe('vehicle plates', () => {
  it.each([
    ['粤B12345', true],
    ['粤b·12345', true], // as typed at a gate: lower case, separator dot
    ['沪A 1234X', true],
    ['粤Z1234港', true], // Hong Kong cross-border truck
    ['京A1234挂', true], // trailer
    ['粤BD12345', true], // small new-energy
    ['粤BFA1234', true],
    ['粤BF1A345', false], // small new-energy: D/F, one letter or digit, then 4 digits
    ['粤B12345D', true], // large new-energy
    ['粤B1234', false], // too short
    ['粤B123456', false], // 8 characters without D/F
    ['粤BA12345', false], // 8 characters, third is not D/F
    ['粤I12345', false], // I is never issued
    ['粤BO2345', false], // O is never issued
    ['AB12345', false], // no province
    ['港B12345', false],
    ['', false],
  ])('%s → %s', (plate, ok) => expect(isValidPlate(plate)).toBe(ok));
});

describe('the issue request', () => {
  it('normalises the plate and container numbers the way the gate compares them', () => {
    expect(parse({ vehicleNo: '粤b 12345', containerNos: ['csqu 305438-3'] })).toMatchObject({ vehicleNo: '粤B12345', containerNos: ['CSQU3054383'], gateMode: 'single', sealIds: [] });
  });

  it.each<[string, Partial<SlipIssueRequestInput>, string[]]>([
    ['a bad plate', { vehicleNo: '粤B1234' }, ['vehicleNo: not a Chinese plate: province + letter + 5 (e.g. 粤B12345) or new energy 6 (粤BD12345)']],
    ['a container check digit off by one', { containerNos: ['CSQU3054384'] }, ['containerNos.0: not an ISO 6346 container number (owner code, U/J/Z, 6 digits, check digit)']],
    ['no parcels', { parcelKeys: [] }, ['parcelKeys: Too small: expected array to have >=1 items']],
    ['a parcel twice', { parcelKeys: ['P1', 'P2', 'P1', 'P1'] }, ['parcelKeys.2: duplicate of parcelKeys[0]', 'parcelKeys.3: duplicate of parcelKeys[0]']],
    ['a container twice after normalising', { containerNos: ['CSQU3054383', 'csqu 3054383'] }, ['containerNos.1: duplicate of containerNos[0]']],
    ['a seal twice', { sealIds: ['S1', ' S1 '] }, ['sealIds.1: duplicate of sealIds[0]']],
    ['a container weight without a container', { containerWtKg: 2200 }, ['containerWtKg: a container weight without a container number']],
    ['five containers', { containerNos: ['CSQU3054383', 'MSKU1234565', 'TGHU0000013', 'ABCZ0000010', 'CSQU3054383'] }, ['containerNos: Too big: expected array to have <=4 items']],
  ])('refuses %s, naming the field', (_what, over, expected) => expect(issues(over)).toEqual(expected));

  it('takes 10,000 parcels and refuses 10,001', () => {
    const keys = Array.from({ length: 10_001 }, (_, i) => `K${i}`);
    expect(issues({ parcelKeys: keys.slice(0, 10_000) })).toEqual([]);
    expect(issues({ parcelKeys: keys })).toEqual(['parcelKeys: Too big: expected array to have <=10000 items']);
  });
});

describe('planning a slip', () => {
  it('sums the declared weights and adds the vehicle and container for the weighbridge; the slip is approved at once', () => {
    const req = parse({ parcelKeys: ['P1', 'P2', 'P3'], vehicleWtKg: 9000, containerNos: ['CSQU3054383'], containerWtKg: 2200, sealIds: ['SEAL-1'], gateMode: 'double' });
    const plan = planSlip(req, casesOf(kase('P1', { declaredWeightKg: 0.1 }), kase('P2', { declaredWeightKg: 0.2 }), kase('P3', { declaredWeightKg: 12.345 })), none);
    expect(plan).toEqual({
      ok: true,
      direction: 'import',
      slip: { ioType: 'E', status: 'approved', gateMode: 'double', vehicleNo: '粤B12345', containerNos: ['CSQU3054383'], sealIds: ['SEAL-1'], vehicleWtKg: 9000, containerWtKg: 2200, totalGrossWtKg: 12.645, totalWtKg: 11_212.645, goods: ['P1', 'P2', 'P3'] },
    });
    // What the gate will expect on the weighbridge, from the slip as it reaches the feed.
    const slip = ReleaseSlip.parse({ ...(plan.ok ? plan.slip : {}), passportNo: 'Z5301E260000000000009' });
    expect(expectedWeightKg(slip)).toBe(11_212.645);
  });

  it('leaves totalWt out without a tare: the gate then asks an officer (weight unknown)', () => {
    const plan = planSlip(parse(), casesOf(kase('P1'), kase('P2')), none);
    expect(plan.ok && plan.slip).toMatchObject({ totalGrossWtKg: 2.5 });
    expect(plan.ok && 'totalWtKg' in plan.slip).toBe(false);
  });

  const onSlip: SlipBinding = { parcelKey: 'P2', passportNo: 'Z5301E260000000000007', status: 'approved' };
  it.each<[string, Partial<SlipIssueRequestInput>, SlipCase[], SlipBinding[], string[]]>([
    ['a parcel with no case', {}, [kase('P1')], [], ['P2: no customs case']],
    ['a held and a pending parcel', { parcelKeys: ['P1', 'P2', 'P3'] }, [kase('P1', { status: 'held' }), kase('P2'), kase('P3', { status: 'pending' })], [], ['P1: case is held, not released', 'P3: case is pending, not released']],
    ['a parcel on another open slip', {}, [kase('P1'), kase('P2')], [onSlip], ['P2: already on slip Z5301E260000000000007 (approved)']],
    ['a parcel that left on a passed slip', {}, [kase('P1'), kase('P2')], [{ ...onSlip, status: 'passed' }], ['P2: already on slip Z5301E260000000000007 (passed)']],
    ['an export parcel among imports', { parcelKeys: ['P1', 'P2', 'P3'] }, [kase('P1'), kase('P2', { direction: 'export' }), kase('P3')], [], ['P2: an export parcel among import parcels']],
    ['import parcels on an entry slip', { ioType: 'I' }, [kase('P1'), kase('P2')], [], ['P1: an import parcel cannot travel on an entry (I) slip', 'P2: an import parcel cannot travel on an entry (I) slip']],
    ['a parcel without a declared weight', {}, [kase('P1'), kase('P2', { declaredWeightKg: null })], [], ['P2: no declared weight: the gate could not check the load']],
    ['several problems on one parcel', {}, [kase('P1'), kase('P2', { status: 'inspection' })], [onSlip], ['P2: case is inspection, not released', 'P2: already on slip Z5301E260000000000007 (approved)']],
  ])('refuses %s, naming each parcel', (_what, over, cases, bindings, expected) => {
    const plan = planSlip(parse(over), casesOf(...cases), new Map(bindings.map((b) => [b.parcelKey, b])));
    expect(plan.ok).toBe(false);
    expect(plan.ok ? [] : plan.problems.map((p) => `${p.parcelKey}: ${problemText(p)}`)).toEqual(expected);
  });

  it.each([
    ['export parcels on an exit slip', 'E', 'export'],
    ['export parcels on an entry slip (1210 bonded export enters the zone)', 'I', 'export'],
    ['import parcels on an exit slip', 'E', 'import'],
  ] as const)('accepts %s', (_what, ioType, direction) => {
    expect(planSlip(parse({ ioType }), casesOf(kase('P1', { direction }), kase('P2', { direction })), none)).toMatchObject({ ok: true, direction, slip: { ioType } });
  });
});

describe('slip numbers', () => {
  it("formats the demo's number and reads it back", () => {
    expect(formatPassportNo({ district: '5301', ioType: 'E', year: 2026, serial: 1 })).toBe('Z5301E260000000000001');
    expect(parsePassportNo('Z5301E260000000000001')).toEqual({ district: '5301', ioType: 'E', year: 2026, serial: 1 });
    expect(formatPassportNo({ district: '3111', ioType: 'I', year: 2031, serial: 9_999_999_999_999 })).toBe('Z3111I319999999999999');
  });

  it.each(['Z3111I240728000000000003', 'Z5301X260000000000001', 'z5301E260000000000001', 'Z5301E26000000000001'])('does not read %s as one of ours', (no) => expect(parsePassportNo(no)).toBeNull());

  it.each([
    [{ district: '530', serial: 1 }, /district/],
    [{ district: '5301', serial: 0 }, /serial/],
    [{ district: '5301', serial: 10_000_000_000_000 }, /serial/],
  ])('refuses to format %o', (over, message) => expect(() => formatPassportNo({ ioType: 'E', year: 2026, ...over })).toThrow(message));
});

describe('status changes', () => {
  it.each([
    ['approved', 'E', true],
    ['passed_gate1', 'E', true],
    ['passed', 'E', true], // they left on it
    ['passed', 'I', false], // they are inside now and leave on an exit slip later
    ['void', 'E', false],
    ['deleted', 'I', false],
  ] as const)('a %s %s slip binds its parcels: %s', (status, ioType, binds) => expect(bindsParcels(status, ioType)).toBe(binds));

  it.each([
    ['applied', null],
    ['approved', null],
    ['passed_gate1', 'the slip has passed gate 1'],
    ['passed', 'the slip has passed the gate'],
    ['void', 'the slip is already void'],
    ['deleted', 'the slip was deleted'],
  ] as const)('voiding a %s slip: %s', (status, refusal) => expect(voidRefusal(status)).toBe(refusal));
});
