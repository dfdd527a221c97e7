import { describe, expect, it } from 'vitest';
import { inspectionInput, inspectionStation, InspectionStationConfig } from './inspection-station.ts';
import { scanReading } from '../../drivers/barcode/serial-scanner.ts';

// What @zxing/library or a scanner without FNC1 transmission sends for (01)(17)(10)LOT42(21)SN0001.
const GS_LESS = ']C1' + '0106901234000016' + '17261231' + '10LOT4221SN0001';

describe('inspection station: an ambiguous GS1 read (issue 14 item 7)', () => {
  const station = inspectionStation(InspectionStationConfig.parse({ kind: 'inspection', id: 'insp-1', line: { lineId: 'L1' } }));

  it('typed or scanned at the console, it is an invalid scan carrying its text and reason', () => {
    expect(station.consoleInput!({ kind: 'scan', text: GS_LESS }, 'op-1')).toMatchObject({
      kind: 'scan', code: GS_LESS, valid: false, reason: expect.stringMatching(/no GS separators/),
    });
  });

  it('from a scanner driver, it is an invalid scan carrying its text and reason', () => {
    expect(inspectionInput('scanner', scanReading(GS_LESS, 1000))).toMatchObject({ kind: 'scan', code: GS_LESS, valid: false, reason: expect.stringMatching(/no GS separators/) });
  });
});
