import type { AnyReading } from '../../drivers/registry.ts';
import { decideGate, gateDisplay, initialGateState, type GateInput, type GateState } from '../../shared/stations/gate.ts';
import { decideOverseas, initialOverseasState, overseasDisplay, type OverseasInput, type OverseasMode, type OverseasState } from '../../shared/stations/overseas.ts';
import { decideWarehouse, initialWarehouseState, warehouseDisplay, type BondedMode, type WarehouseInput, type WarehouseState } from '../../shared/stations/warehouse.ts';
import type { GateStationConfig, OverseasStationConfig, WarehouseStationConfig } from './config.ts';
import type { StationDef } from './runtime.ts';

/**
 * The gate lane and the warehouse desks, as the edge runs them: which device plays which part, and how its readings
 * and the console's input become the pure stations' inputs (shared/stations/{gate,warehouse,overseas}.ts).
 */
// The configurations are in config.ts (schemas only): edge/config.ts parses them without loading this module.
export { GateStationConfig, OverseasStationConfig, WarehouseStationConfig } from './config.ts';

const CHINESE_PLATE = /^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$/;
const CONTAINER = /^[A-Z]{4}\d{7}$/;

/** What a typed or scanned string at the gate is: a plate, a container number, else a slip's QR. */
function gateText(text: string): GateInput {
  const t = text.replace(/\s+/g, '').toUpperCase();
  if (CHINESE_PLATE.test(t)) return { kind: 'plate', vehicleNo: t, source: 'typed' };
  if (CONTAINER.test(t)) return { kind: 'container', containerNo: t };
  return { kind: 'slip.scanned', text };
}

/** The key a tag stands for on a slip: the SSCC of an SSCC-96 tag, else the EPC. */
function goodsKey(r: AnyReading): string {
  const gs1 = typeof r.gs1 === 'string' ? r.gs1 : '';
  const sscc = /^\(00\)(\d{18})$/.exec(gs1);
  return sscc ? sscc[1]! : String(r.epc);
}

export function gateStation(c: GateStationConfig): StationDef<GateState, GateInput> {
  return {
    kind: 'gate',
    initial: initialGateState,
    decide: (s, i, now, cache) => decideGate(s, i, now, cache, c.gate),
    display: gateDisplay,
    fromReading(role, r) {
      const kind = (r.kind ?? r.type) as string;
      if (role === 'scanner' && kind === 'scan') return gateText(String(r.raw));
      if (role === 'weighbridge' && kind === 'weight') return { kind: 'weighbridge', weightKg: Number(r.weightKg) };
      if (role === 'barrier' && kind === 'lock.state') return { kind: 'barrier.state', open: r.open === true };
      if (role === 'barrier' && kind === 'lock.forced_open') return { kind: 'barrier.forced' };
      if (role === 'portal' && kind === 'rfid.sighting') return { kind: 'goods.read', keys: [goodsKey(r)] };
      if (role === 'plateReader' && kind === 'rfid.sighting') return { kind: 'rfid.plate', vehicleIcNo: String(r.epc) };
      if (role === 'seals' && kind === 'fence.breached' && r.sealId) return { kind: 'seal.alarm', sealId: String(r.sealId), reason: 'seal opened outside the zone fence' };
      if (role === 'seals' && kind === 'seal.state_changed' && r.state === 'tampered') return { kind: 'seal.alarm', sealId: String(r.sealId), reason: 'seal tampered' };
      return undefined;
    },
    timer: (tid) => ({ kind: 'timer', id: tid }),
    commandFailed: (command, reason) => ({ kind: 'command.failed', command, reason }),
    consoleInput(i, operatorId) {
      if (i.kind === 'scan') return gateText(i.text);
      if (i.id === 'arrived') return { kind: 'vehicle.arrived' };
      if (!i.reason) return undefined;
      if (i.id === 'release') return { kind: 'manual.release', officerId: operatorId, reason: i.reason };
      if (i.id === 'reject') return { kind: 'manual.reject', officerId: operatorId, reason: i.reason };
      return undefined;
    },
    actions: (s) =>
      s.phase === 'waiting' || s.phase === 'alarm'
        ? [
            { id: 'release', zh: '人工放行', en: 'Manual release', key: 'F1', needsReason: true, tone: 'go' },
            { id: 'reject', zh: '拒绝放行', en: 'Reject', key: 'F2', needsReason: true, tone: 'stop' },
          ]
        : [{ id: 'arrived', zh: '车辆到达', en: 'Vehicle arrived', key: 'F4', tone: 'wait' }],
  };
}

const deskReading = (role: string, r: AnyReading): { kind: 'scan'; text: string } | { kind: 'weight'; weightKg: number } | undefined => {
  if (role === 'scanner' && r.kind === 'scan') return { kind: 'scan', text: String(r.raw) };
  if (role === 'scanner' && r.kind === 'scan.rejected') return { kind: 'scan', text: String(r.raw) };
  if (role === 'scale' && r.kind === 'weight') return { kind: 'weight', weightKg: Number(r.weightKg) };
  return undefined;
};

const BONDED_MODES: { id: BondedMode; zh: string; en: string; key: string }[] = [
  { id: 'receive', zh: '收货', en: 'Receive', key: 'F1' },
  { id: 'putaway', zh: '上架', en: 'Put away', key: 'F2' },
  { id: 'pick', zh: '拣货', en: 'Pick', key: 'F3' },
  { id: 'pack', zh: '打包', en: 'Pack', key: 'F4' },
];
const OVERSEAS_MODES: { id: OverseasMode; zh: string; en: string; key: string }[] = [
  { id: 'inbound', zh: '入库', en: 'Inbound', key: 'F1' },
  { id: 'putaway', zh: '上架', en: 'Put away', key: 'F2' },
  { id: 'pick', zh: '拣货', en: 'Pick', key: 'F3' },
  { id: 'ship', zh: '出库', en: 'Ship', key: 'F4' },
  { id: 'return', zh: '退货', en: 'Returns', key: 'F6' },
];
const CONDITIONS = [
  { id: 'sellable', zh: '完好可售', en: 'Sellable' },
  { id: 'damaged', zh: '破损', en: 'Damaged' },
  { id: 'opened', zh: '已拆封', en: 'Opened' },
  { id: 'missing_parts', zh: '缺件', en: 'Missing parts' },
] as const;

export function warehouseStation(c: WarehouseStationConfig): StationDef<WarehouseState, WarehouseInput> {
  return {
    kind: 'warehouse',
    initial: () => initialWarehouseState(),
    decide: (s, i, now, cache) => decideWarehouse(s, i, now, cache, c.desk),
    display: warehouseDisplay,
    fromReading: deskReading,
    timer: (tid) => ({ kind: 'timer', id: tid }),
    commandFailed: () => undefined,
    consoleInput(i, operatorId) {
      if (i.kind === 'scan') return [{ kind: 'operator', operatorId }, { kind: 'scan', text: i.text }] satisfies WarehouseInput[];
      const mode = BONDED_MODES.find((m) => `mode:${m.id}` === i.id);
      return mode ? { kind: 'select', mode: mode.id } : undefined;
    },
    actions: () => BONDED_MODES.map((m) => ({ id: `mode:${m.id}`, zh: m.zh, en: m.en, key: m.key })),
  };
}

export function overseasStation(c: OverseasStationConfig): StationDef<OverseasState, OverseasInput> {
  return {
    kind: 'overseas',
    initial: () => initialOverseasState(),
    decide: (s, i, now, cache) => decideOverseas(s, i, now, cache, c.desk),
    display: overseasDisplay,
    fromReading: deskReading,
    timer: (tid) => ({ kind: 'timer', id: tid }),
    commandFailed: () => undefined,
    consoleInput(i, operatorId) {
      if (i.kind === 'scan') return [{ kind: 'operator', operatorId }, { kind: 'scan', text: i.text }] satisfies OverseasInput[];
      const mode = OVERSEAS_MODES.find((m) => `mode:${m.id}` === i.id);
      if (mode) return { kind: 'select', mode: mode.id };
      if (i.id.startsWith('reason:')) return { kind: 'select', reason: i.id.slice(7) };
      const cond = CONDITIONS.find((x) => `condition:${x.id}` === i.id);
      return cond ? { kind: 'select', condition: cond.id } : undefined;
    },
    actions: (s) => [
      ...OVERSEAS_MODES.map((m) => ({ id: `mode:${m.id}`, zh: m.zh, en: m.en, key: m.key })),
      ...(s.phase === 'returns'
        ? [...c.desk.returnReasons.map((r) => ({ id: `reason:${r}`, zh: r, en: r.replace(/_/g, ' ') })), ...CONDITIONS.map((x) => ({ id: `condition:${x.id}`, zh: x.zh, en: x.en }))]
        : []),
    ],
  };
}
