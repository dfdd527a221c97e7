/**
 * The address space of the simulated X-ray inspection line (line-simulator.ts), shared with the driver preset so the
 * two cannot drift apart. Ids are strings in our own namespace; clients address them as `nsu=<uri>;s=<id>` so the
 * namespace index the server happens to assign does not matter (devices.md §5: indexes move, URIs do not).
 */
export const XRAY_LINE_NAMESPACE = 'urn:bondgate:xray-line';

/** String identifiers (`s=`) of the line's nodes. Browse names are the last path segment. */
export const XrayLineIds = {
  line: 'XrayLine',
  // PackML (OPC 30050 / ISA-TR88 PackTags) names: Status.StateCurrent, Status.CurMachSpeed, Command.MachSpeed.
  conveyor: 'XrayLine.Conveyor',
  stateCurrent: 'XrayLine.Conveyor.Status.StateCurrent',
  curMachSpeed: 'XrayLine.Conveyor.Status.CurMachSpeed',
  machSpeed: 'XrayLine.Conveyor.Command.MachSpeed',
  /** Named PackML command methods on the conveyor (no arguments). */
  reset: 'XrayLine.Conveyor.Reset',
  start: 'XrayLine.Conveyor.Start',
  stop: 'XrayLine.Conveyor.Stop',
  hold: 'XrayLine.Conveyor.Hold',
  unhold: 'XrayLine.Conveyor.Unhold',
  abort: 'XrayLine.Conveyor.Abort',
  clear: 'XrayLine.Conveyor.Clear',
  /** PackTags-style `StateCommand(CntrlCmd: Int32)` taking the PackML command number. */
  stateCommand: 'XrayLine.Conveyor.StateCommand',
  entryEye: 'XrayLine.PhotoEyes.Entry',
  xrayEye: 'XrayLine.PhotoEyes.Xray',
  divertEye: 'XrayLine.PhotoEyes.Divert',
  fault: 'XrayLine.Fault.Active',
  faultCode: 'XrayLine.Fault.Code',
  faultText: 'XrayLine.Fault.Text',
  /** Event notifier: raises XrayVerdictEventType, one per parcel. */
  xrayMachine: 'XrayLine.XrayMachine',
  /** OPC 40001-1 (Machinery) item state names as LocalizedText: NotAvailable | OutOfService | NotExecuting | Executing. */
  xrayItemState: 'XrayLine.XrayMachine.MachineryItemState.CurrentState',
  lastParcelId: 'XrayLine.XrayMachine.LastParcelId',
  lastVerdict: 'XrayLine.XrayMachine.LastVerdict',
  lastImageRef: 'XrayLine.XrayMachine.LastImageRef',
  verdictEventType: 'XrayVerdictEventType',
  diverter: 'XrayLine.Diverter',
  divert: 'XrayLine.Diverter.Divert',
  lastDivertedParcelId: 'XrayLine.Diverter.LastParcelId',
  lastDivertedLane: 'XrayLine.Diverter.LastLane',
} as const;

/** `nsu=urn:bondgate:xray-line;s=<id>`: the namespace-URI form the driver resolves against the server. */
export const xrayNode = (id: string) => `nsu=${XRAY_LINE_NAMESPACE};s=${id}`;
