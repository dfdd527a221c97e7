import { classifyRead } from '../../shared/identifiers/read.ts';
import type { AnyReading } from '../../drivers/registry.ts';
import { benchDisplay, decideBench, initialBenchState, type BenchInput, type BenchState } from '../../shared/stations/bench.ts';
import { decideInspection, initialInspectionState, inspectionDisplay, type InspectionInput, type InspectionState } from '../../shared/stations/inspection.ts';
import type { BenchStationConfig, InspectionStationConfig } from './config.ts';
import type { StationDef } from './runtime.ts';

// The configurations are in config.ts (schemas only): edge/config.ts parses them without loading this module.
export { BenchStationConfig, InspectionDevices, InspectionStationConfig } from './config.ts';

const verdicts = new Set(['clear', 'suspect', 'reject', 'unreadable']);

/** Driver readings → inspection inputs. Anything else a device says is not this station's business. */
export function inspectionInput(role: string, r: AnyReading): InspectionInput | undefined {
  const kind = r.kind as string | undefined;
  if (role === 'scanner') {
    if (kind === 'scan') return { kind: 'scan', code: String((r.read as { value?: string } | undefined)?.value ?? r.raw), valid: true };
    if (kind === 'scan.rejected') return { kind: 'scan', code: String(r.raw), valid: false, reason: String(r.reason) };
  }
  if (role === 'scale' && kind === 'weight') return { kind: 'weight', weightKg: Number(r.weightKg) };
  if (role === 'xray') {
    if (kind === 'opcua.event' && r.name === 'xray.verdict') {
      const f = r.fields as Record<string, unknown>;
      const verdict = String(f.Verdict);
      if (!verdicts.has(verdict)) return { kind: 'xray.fault', detail: `unknown verdict ${verdict}` };
      return { kind: 'xray', parcelId: String(f.ParcelId), verdict: verdict as 'clear', ...(f.ImageRef ? { imageRef: String(f.ImageRef) } : {}) };
    }
    if (kind === 'opcua.value' && r.name === 'fault.active') return r.value === true ? { kind: 'xray.fault', detail: 'line controller reports a fault' } : { kind: 'xray.recovered' };
  }
  return undefined;
}

export function inspectionStation(config: InspectionStationConfig): StationDef<InspectionState, InspectionInput> {
  return {
    kind: 'inspection',
    initial: initialInspectionState,
    decide: (s, i, now, cache) => decideInspection(s, i, now, cache, config.line),
    display: inspectionDisplay,
    fromReading: inspectionInput,
    timer: (id) => ({ kind: 'timer', id }),
    commandFailed: (cmd, reason) => (cmd.kind === 'divert' ? { kind: 'divert.failed', transactionId: cmd.transactionId, reason } : undefined),
    photo: (transactionId, photoRef, thumbnailWebp) => ({ kind: 'photo', transactionId, photoRef, ...(thumbnailWebp ? { thumbnailWebp } : {}) }),
    consoleInput: (i) => (i.kind === 'scan' ? scanOf(i.text) : undefined),
    pendingTimers: (s) => s.open.map((t) => ({ id: `decide:${t.transactionId}`, atMs: t.firstAtMs + config.line.decideTimeoutMs })),
  };
}

/** A scan typed or scanned at a console, classified like a scanner's read. */
function scanOf(text: string): InspectionInput {
  const read = classifyRead(text);
  // An ambiguous GS1 read (no GS separators, two valid readings) is kept as read with its reason, like a rejected one.
  return read.kind === 'rejected' || read.kind === 'ambiguous' ? { kind: 'scan', code: text, valid: false, reason: read.reason } : { kind: 'scan', code: 'value' in read ? String(read.value) : text, valid: true };
}

export function benchStation(_config: BenchStationConfig): StationDef<BenchState, BenchInput> {
  return {
    kind: 'bench',
    initial: initialBenchState,
    decide: decideBench,
    display: benchDisplay,
    fromReading: (role, r) => (role === 'scanner' && r.kind === 'scan' ? { kind: 'scan', code: String((r.read as { value?: string } | undefined)?.value ?? r.raw) } : undefined),
    timer: (id) => ({ kind: 'timer', id }),
    commandFailed: () => undefined,
    // The operator who pressed the button is `officerId` (a claim); the officer signed in at the bench, if any, comes as
    // the bench token the console verified, which the hub checks again before naming anyone.
    consoleInput: (i, operatorId, ctx) => {
      if (i.kind === 'scan') {
        const s = scanOf(i.text);
        return s.kind === 'scan' ? { kind: 'scan', code: s.code } : undefined;
      }
      if (i.id === 'pass' || i.id === 'seize' || i.id === 'return') return { kind: 'action', action: i.id, officerId: operatorId, ...(i.reason ? { reason: i.reason } : {}), ...(ctx?.officerToken ? { officerToken: ctx.officerToken } : {}) };
      if (i.id === 'set-aside') return { kind: 'set-aside', officerId: operatorId };
      return undefined;
    },
    actions: (s) =>
      s.current
        ? [
            { id: 'pass', zh: '通过', en: 'Pass', key: 'F1', tone: 'go' },
            { id: 'seize', zh: '查扣', en: 'Seize', key: 'F2', needsReason: true, tone: 'stop' },
            { id: 'return', zh: '退运', en: 'Return', key: 'F3', needsReason: true, tone: 'wait' },
            { id: 'set-aside', zh: '放回待查', en: 'Set aside', key: 'F4' },
          ]
        : [],
  };
}
