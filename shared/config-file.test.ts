import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgeConfig } from '../edge/config.ts';
import { loadConfigFile } from './config-file.ts';
import { BondgateError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'bg-config-'));
function load(name: string, text: string) {
  const f = join(dir, name);
  writeFileSync(f, text);
  try {
    return loadConfigFile(EdgeConfig, f);
  } catch (e) {
    return e as BondgateError;
  }
}

describe('config files', () => {
  it('loads YAML with defaults filled in', () => {
    const c = load('ok.yaml', 'gatewayId: GW-1\nhub:\n  mqttUrl: mqtt://hub:1883\n  password: secret\n');
    expect(c).toMatchObject({ gatewayId: 'GW-1', journal: { quotaMb: 1024, synchronous: 'FULL' }, http: { port: 9464 } });
  });
  it('names the field, the problem and the fix', () => {
    const e = load('bad.yaml', 'gatewayId: GW-1\nhub:\n  mqttUrl: http://hub\n  password: secret\njournal:\n  quotaMb: -5\n') as BondgateError;
    expect(e).toBeInstanceOf(BondgateError);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.fields.map((f) => f.field).sort()).toEqual(['hub.mqttUrl', 'journal.quotaMb']);
    expect(e.message).toContain('journal.quotaMb');
    expect(e.message).toContain('megabytes of disk the journal may use');
    expect(e.message).toContain('mqtt://');
  });
  it('reports a missing required field and a syntax error', () => {
    expect((load('missing.json', '{"gatewayId":"GW-1"}') as BondgateError).fields.map((f) => f.field)).toEqual(['hub']);
    expect((load('broken.yaml', 'gatewayId: [') as BondgateError).code).toBe('CONFIG_INVALID');
    expect((load('nope.yaml', '') as BondgateError).code).toBe('CONFIG_INVALID');
  });
});
