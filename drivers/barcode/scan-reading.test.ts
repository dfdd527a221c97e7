import { describe, expect, it } from 'vitest';
import { scanReading } from './serial-scanner.ts';

describe('scanReading: what every scanner driver emits for one read', () => {
  it('an ambiguous GS1 read (no GS separators) is kept as read with its reason, flagged, never a scan', () => {
    const raw = ']C1' + '0106901234000016' + '10LOT4221SN0001';
    const r = scanReading(raw, 1000);
    expect(r).toMatchObject({ kind: 'scan.rejected', raw, atMs: 1000, ambiguous: true });
    if (r.kind === 'scan.rejected') expect(r.reason).toMatch(/no GS separators.*\(10\)LOT42 \(21\)SN0001/);
  });

  it('a read with an AI outside the old table is a scan, not a rejection', () => {
    const r = scanReading(']d2' + '0106901234000016' + '8200HTTPS://EXAMPLE.COM', 1000);
    expect(r).toMatchObject({ kind: 'scan', read: { kind: 'gs1', derived: { gtin: '06901234000016' } } });
  });

  it('a source known to send its separators is taken at its word', () => {
    const raw = ']C1' + '0106901234000016' + '10LOT4221SN0001';
    expect(scanReading(raw, 1000, { separators: 'transmitted' })).toMatchObject({ kind: 'scan', read: { kind: 'gs1', derived: { batch: 'LOT4221SN0001' } } });
  });
});
