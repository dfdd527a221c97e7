import './quiet-logs.ts';
import {
  type AddressSpace,
  DataType,
  type ISessionContext,
  LocalizedText,
  MessageSecurityMode,
  type Namespace,
  nodesets,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type StatusCode,
  type UAEventType,
  type UAObject,
  type UAVariable,
  Variant,
} from 'node-opcua';
import { z } from 'zod';
import { PackMLCommand, PackMLState, packMLTransition } from './packml.ts';
import { XRAY_LINE_NAMESPACE, XrayLineIds as Id } from './xray-line-nodes.ts';

/**
 * An X-ray inspection line as an OPC UA server, for tests and demos: a PackML conveyor, three photo-eyes, an X-ray
 * machine that raises one verdict event per parcel, and a diverter with a `Divert(ParcelId, Lane)` method.
 *
 * Modelling choice: one custom namespace (`urn:bondgate:xray-line`) with string node ids and browse names taken from
 * the standards (PackML `Status/StateCurrent`, `Command/MachSpeed`, `Reset`/`Start`/…; Machinery
 * `MachineryItemState/CurrentState`), on top of the standard nodeset only. node-opcua ships the PackML, Machinery and
 * DI nodesets, but their types are state machines whose `CurrentState` is a LocalizedText plus a NodeId, driven through
 * transition objects; instantiating and driving them costs start-up time on every (re)start and a lot of code, while a
 * real line PLC is as likely to expose PackTags as plain Int32 variables, which is what the driver has to handle anyway.
 * There is no X-ray companion spec (devices.md §5), so the verdict is our own `XrayVerdictEventType`.
 *
 * Line state lives in this object, not in the server: `restart()` rebuilds the address space from it, as a PLC keeps
 * its program state while its OPC UA server restarts.
 */
export const XrayLineTiming = z.object({
  /** How long a parcel blocks a photo-eye. */
  eyeMs: z.number().int().min(1).default(150),
  /** Belt travel between two eyes. */
  travelMs: z.number().int().min(1).default(250),
  /** Scan time inside the X-ray tunnel, before the verdict. */
  scanMs: z.number().int().min(1).default(400),
  /** Time spent in a PackML acting state (Starting, Stopping, …) before the wait state. */
  stateStepMs: z.number().int().min(1).default(100),
});

export const XrayLineSimulatorConfig = z.object({
  /** Writable folder for the server's PKI; give every test its own (devices.md §5: PKI creation races). */
  pkiDir: z.string().min(1),
  /** Interface to bind and the hostname in the endpoint URL (pinned: the default would be the machine's FQDN). */
  host: z.string().min(1).default('127.0.0.1'),
  timing: XrayLineTiming.prefault({}),
  initialState: z.number().int().default(PackMLState.Execute),
  /** Initial belt speed setpoint, m/s. */
  machSpeed: z.number().min(0).default(0.5),
  /** When set, anonymous logins are refused and these users may log in. */
  users: z.array(z.object({ username: z.string().min(1), password: z.string() })).optional(),
  /** Sign / SignAndEncrypt endpoints (Basic256Sha256) besides None, to exercise a driver configured for a real PLC. */
  secureEndpoints: z.boolean().default(false),
});
export type XrayLineSimulatorConfig = z.output<typeof XrayLineSimulatorConfig>;

export const XRAY_VERDICTS = ['clear', 'suspect', 'reject'] as const;
export type XrayVerdict = (typeof XRAY_VERDICTS)[number];
export const DIVERT_LANES = ['release', 'inspection', 'exception'] as const;
export type DivertLane = (typeof DIVERT_LANES)[number];
export const isDivertLane = (s: string): s is DivertLane => (DIVERT_LANES as readonly string[]).includes(s);

export type MachineryItemState = 'NotAvailable' | 'OutOfService' | 'NotExecuting' | 'Executing';

export interface ParcelScript {
  parcelId: string;
  verdict: XrayVerdict;
  imageRef?: string;
}

/** Where a parcel went: the lane last commanded for it by `Divert`, or `exception` when nobody decided in time. */
export interface DivertOutcome {
  parcelId: string;
  lane: DivertLane;
  commanded: boolean;
}

interface LineModel {
  state: number;
  machSpeed: number;
  fault: { active: boolean; code: number; text: string };
  scanning: boolean;
  eyes: { entry: boolean; xray: boolean; divert: boolean };
  last: { parcelId: string; verdict: string; imageRef: string };
  lastDiverted: { parcelId: string; lane: string };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

const COMMAND_METHODS = [
  ['Reset', Id.reset],
  ['Start', Id.start],
  ['Stop', Id.stop],
  ['Hold', Id.hold],
  ['Unhold', Id.unhold],
  ['Abort', Id.abort],
  ['Clear', Id.clear],
] as const;

// node-opcua tells a promise-returning method from a callback one by its arity: keep both parameters.
export class XrayLineSimulator {
  readonly config: XrayLineSimulatorConfig;
  private server: OPCUAServer | undefined;
  private boundPort = 0;
  private readonly vars = new Map<string, UAVariable>();
  private readonly written = new Map<string, unknown>();
  private xrayMachine: UAObject | undefined;
  private verdictEventType: UAEventType | undefined;
  private readonly model: LineModel;
  /** Lane commanded per parcel by Divert, consumed when the parcel reaches the divert eye. */
  private readonly commandedLanes = new Map<string, DivertLane>();
  /** Every Divert call accepted, in order (test observation). */
  readonly divertCommands: { parcelId: string; lane: DivertLane }[] = [];
  /** Every parcel that passed the divert eye, in order. */
  readonly outcomes: DivertOutcome[] = [];
  private belt: Promise<unknown> = Promise.resolve();
  private stateToken = 0;

  constructor(config: z.input<typeof XrayLineSimulatorConfig>) {
    this.config = XrayLineSimulatorConfig.parse(config);
    this.model = {
      state: this.config.initialState,
      machSpeed: this.config.machSpeed,
      fault: { active: false, code: 0, text: '' },
      scanning: false,
      eyes: { entry: false, xray: false, divert: false },
      last: { parcelId: '', verdict: '', imageRef: '' },
      lastDiverted: { parcelId: '', lane: '' },
    };
  }

  get port(): number {
    return this.boundPort;
  }

  get endpointUrl(): string {
    return `opc.tcp://${this.config.host}:${this.boundPort}`;
  }

  /** A snapshot of the line as the PLC sees it. */
  get line(): Readonly<LineModel> & { curMachSpeed: number; xrayState: MachineryItemState } {
    return structuredClone({ ...this.model, curMachSpeed: this.curMachSpeed(), xrayState: this.xrayState() });
  }

  /** Port 0 lets the OS choose; `restart()` then reuses the port it got. Resolves with the endpoint URL. */
  async start(opts: { port?: number } = {}): Promise<string> {
    if (this.server) throw new Error('simulator already started');
    const certificateManager = new OPCUACertificateManager({ rootFolder: this.config.pkiDir, automaticallyAcceptUnknownCertificate: true });
    const users = this.config.users;
    const server = new OPCUAServer({
      port: opts.port ?? 0,
      host: this.config.host,
      hostname: this.config.host,
      serverCertificateManager: certificateManager,
      nodeset_filename: [nodesets.standard],
      serverInfo: { applicationUri: 'urn:bondgate:xray-line-simulator', applicationName: { text: 'Bondgate X-ray line simulator' } },
      securityModes: this.config.secureEndpoints ? [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt] : [MessageSecurityMode.None],
      // Basic256Sha256 even with None-only endpoints: it is the policy a username token's password is encrypted with
      // on an unsecured channel, so without it the server would offer no username login there.
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      allowAnonymous: users === undefined,
      ...(users ? { userManager: { isValidUser: (u: string, p: string) => users.some((x) => x.username === u && x.password === p) } } : {}),
    });
    try {
      await server.initialize();
      this.build(server.engine.addressSpace!);
      await server.start();
    } catch (e) {
      // e.g. the port was taken between stop() and start() in restart(): leave no half-started server behind.
      await server.shutdown(0).catch(() => undefined);
      throw e;
    }
    this.server = server;
    this.boundPort = server.endpoints[0]?.port ?? opts.port ?? 0;
    return this.endpointUrl;
  }

  /** Stops the server and starts a fresh one on the same port: sessions and subscriptions on the server are gone. */
  async restart(): Promise<void> {
    const port = this.boundPort;
    await this.stop();
    await this.start({ port });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.vars.clear();
    this.written.clear();
    this.xrayMachine = undefined;
    this.verdictEventType = undefined;
    if (server) await server.shutdown(0);
  }

  /**
   * Runs one parcel down the belt: entry eye, X-ray eye and scan, verdict (event and Last* variables), divert eye.
   * Parcels queue one behind the other, as on a belt with spacing. Rejects when the conveyor is not in Execute.
   */
  feedParcel(parcel: ParcelScript): Promise<DivertOutcome> {
    const run = async (): Promise<DivertOutcome> => {
      if (this.model.state !== PackMLState.Execute) throw new Error(`conveyor is not in Execute (state ${this.model.state})`);
      const t = this.config.timing;
      await this.eye('entry', t.eyeMs);
      await sleep(t.travelMs);
      this.setEye('xray', true);
      this.model.scanning = true;
      this.publish();
      await sleep(t.scanMs);
      this.verdict(parcel.parcelId, parcel.verdict, parcel.imageRef ?? `xray-images/${parcel.parcelId}.png`);
      this.model.scanning = false;
      this.setEye('xray', false);
      await sleep(t.travelMs);
      // The edge must have called Divert before the parcel reaches the diverter; an undecided parcel is never
      // released by default, it goes to the exception lane for a person to look at.
      const commanded = this.commandedLanes.get(parcel.parcelId);
      this.commandedLanes.delete(parcel.parcelId);
      const outcome: DivertOutcome = { parcelId: parcel.parcelId, lane: commanded ?? 'exception', commanded: commanded !== undefined };
      this.setEye('divert', true);
      this.model.lastDiverted = { parcelId: outcome.parcelId, lane: outcome.lane };
      this.publish();
      await sleep(t.eyeMs);
      this.setEye('divert', false);
      this.outcomes.push(outcome);
      return outcome;
    };
    const next = this.belt.then(run, run);
    this.belt = next.catch(() => undefined);
    return next;
  }

  /** A line fault: the fault variables are set and the conveyor aborts (PackML: only Clear leads out of Aborted). */
  fault(code: number, text: string): void {
    this.model.fault = { active: true, code, text };
    const t = packMLTransition(this.model.state, PackMLCommand.Abort);
    if (t) this.transition(t.acting, t.settled);
    this.publish();
  }

  /** Runs a PackML command as the methods do; returns the status the method would. */
  command(command: number): StatusCode {
    const t = packMLTransition(this.model.state, command);
    if (!t) return StatusCodes.BadInvalidState;
    if (command === PackMLCommand.Clear) this.model.fault = { active: false, code: 0, text: '' };
    this.transition(t.acting, t.settled);
    return StatusCodes.Good;
  }

  private transition(acting: number, settled: number): void {
    const token = ++this.stateToken;
    this.model.state = acting;
    this.publish();
    setTimeout(() => {
      // A later command (Abort while Starting) wins over this one's settling.
      if (token !== this.stateToken) return;
      this.model.state = settled;
      this.publish();
    }, this.config.timing.stateStepMs).unref();
  }

  private curMachSpeed(): number {
    return this.model.state === PackMLState.Execute ? this.model.machSpeed : 0;
  }

  private xrayState(): MachineryItemState {
    if (this.model.fault.active) return 'OutOfService';
    if (this.model.state === PackMLState.Aborted || this.model.state === PackMLState.Aborting) return 'OutOfService';
    return this.model.scanning ? 'Executing' : 'NotExecuting';
  }

  private async eye(eye: keyof LineModel['eyes'], ms: number): Promise<void> {
    this.setEye(eye, true);
    await sleep(ms);
    this.setEye(eye, false);
  }

  private setEye(eye: keyof LineModel['eyes'], on: boolean): void {
    this.model.eyes[eye] = on;
    this.publish();
  }

  private verdict(parcelId: string, verdict: XrayVerdict, imageRef: string): void {
    this.model.last = { parcelId, verdict, imageRef };
    this.publish();
    if (!this.xrayMachine || !this.verdictEventType) return;
    this.xrayMachine.raiseEvent(this.verdictEventType, {
      parcelId: { dataType: DataType.String, value: parcelId },
      verdict: { dataType: DataType.String, value: verdict },
      imageRef: { dataType: DataType.String, value: imageRef },
      message: { dataType: DataType.LocalizedText, value: new LocalizedText({ text: `parcel ${parcelId}: ${verdict}` }) },
      severity: { dataType: DataType.UInt16, value: verdict === 'clear' ? 100 : verdict === 'suspect' ? 500 : 800 },
    });
  }

  /** Writes the model into the address space; only changed values, so monitored items see real changes only. */
  private publish(): void {
    const m = this.model;
    const values: [string, DataType, unknown][] = [
      [Id.stateCurrent, DataType.Int32, m.state],
      [Id.curMachSpeed, DataType.Double, this.curMachSpeed()],
      [Id.entryEye, DataType.Boolean, m.eyes.entry],
      [Id.xrayEye, DataType.Boolean, m.eyes.xray],
      [Id.divertEye, DataType.Boolean, m.eyes.divert],
      [Id.fault, DataType.Boolean, m.fault.active],
      [Id.faultCode, DataType.UInt32, m.fault.code],
      [Id.faultText, DataType.String, m.fault.text],
      [Id.xrayItemState, DataType.LocalizedText, this.xrayState()],
      [Id.lastParcelId, DataType.String, m.last.parcelId],
      [Id.lastVerdict, DataType.String, m.last.verdict],
      [Id.lastImageRef, DataType.String, m.last.imageRef],
      [Id.lastDivertedParcelId, DataType.String, m.lastDiverted.parcelId],
      [Id.lastDivertedLane, DataType.String, m.lastDiverted.lane],
    ];
    for (const [id, dataType, value] of values) {
      const v = this.vars.get(id);
      if (!v || this.written.get(id) === value) continue;
      this.written.set(id, value);
      v.setValueFromSource(new Variant({ dataType, value: dataType === DataType.LocalizedText ? new LocalizedText({ text: String(value) }) : value }));
    }
  }

  private build(addressSpace: AddressSpace): void {
    const ns = addressSpace.registerNamespace(XRAY_LINE_NAMESPACE);
    const objects = addressSpace.rootFolder.objects;
    const line = ns.addObject({ nodeId: `s=${Id.line}`, browseName: 'XrayLine', organizedBy: objects, eventNotifier: 1 });
    const obj = (id: string, browseName: string, parent: UAObject, eventNotifier = 0) => ns.addObject({ nodeId: `s=${id}`, browseName, componentOf: parent, eventNotifier });
    const variable = (id: string, browseName: string, parent: UAObject, dataType: string) => {
      const v = ns.addVariable({ nodeId: `s=${id}`, browseName, componentOf: parent, dataType, minimumSamplingInterval: 0, accessLevel: 'CurrentRead', userAccessLevel: 'CurrentRead' });
      this.vars.set(id, v);
      return v;
    };

    const conveyor = obj(Id.conveyor, 'Conveyor', line);
    const status = obj(`${Id.conveyor}.Status`, 'Status', conveyor);
    const command = obj(`${Id.conveyor}.Command`, 'Command', conveyor);
    variable(Id.stateCurrent, 'StateCurrent', status, 'Int32');
    variable(Id.curMachSpeed, 'CurMachSpeed', status, 'Double');
    const machSpeed = ns.addVariable({
      nodeId: `s=${Id.machSpeed}`,
      browseName: 'MachSpeed',
      componentOf: command,
      dataType: 'Double',
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: 0,
    });
    machSpeed.setValueFromSource(new Variant({ dataType: DataType.Double, value: this.model.machSpeed }));
    machSpeed.on('value_changed', (dv) => {
      const speed = Number(dv.value.value);
      if (!Number.isFinite(speed) || speed === this.model.machSpeed) return;
      this.model.machSpeed = Math.max(0, speed); // a belt does not run backwards into the tunnel
      this.publish();
    });
    for (const [name, id] of COMMAND_METHODS) {
      ns.addMethod(conveyor, { nodeId: `s=${id}`, browseName: name, inputArguments: [], outputArguments: [] }).bindMethod(async (_args: Variant[], _context: ISessionContext) => ({ statusCode: this.command(PackMLCommand[name]) }));
    }
    ns.addMethod(conveyor, {
      nodeId: `s=${Id.stateCommand}`,
      browseName: 'StateCommand',
      inputArguments: [{ name: 'CntrlCmd', dataType: DataType.Int32, description: 'PackML command: 1 Reset, 2 Start, 3 Stop, 4 Hold, 5 Unhold, 8 Abort, 9 Clear' }],
      outputArguments: [],
    }).bindMethod(async (args: Variant[], _context: ISessionContext) => ({ statusCode: this.command(Number(args[0]?.value)) }));

    const eyes = obj('XrayLine.PhotoEyes', 'PhotoEyes', line);
    variable(Id.entryEye, 'Entry', eyes, 'Boolean');
    variable(Id.xrayEye, 'Xray', eyes, 'Boolean');
    variable(Id.divertEye, 'Divert', eyes, 'Boolean');

    const fault = obj('XrayLine.Fault', 'Fault', line);
    variable(Id.fault, 'Active', fault, 'Boolean');
    variable(Id.faultCode, 'Code', fault, 'UInt32');
    variable(Id.faultText, 'Text', fault, 'String');

    this.verdictEventType = this.addVerdictEventType(ns);
    const xray = obj(Id.xrayMachine, 'XrayMachine', line, 1);
    // Events raised on the machine also reach clients subscribed to the line or to the Server object.
    line.addReference({ referenceType: 'HasNotifier', nodeId: xray });
    addressSpace.rootFolder.objects.server.addReference({ referenceType: 'HasNotifier', nodeId: line });
    this.xrayMachine = xray;
    const itemState = obj(`${Id.xrayMachine}.MachineryItemState`, 'MachineryItemState', xray);
    variable(Id.xrayItemState, 'CurrentState', itemState, 'LocalizedText');
    variable(Id.lastParcelId, 'LastParcelId', xray, 'String');
    variable(Id.lastVerdict, 'LastVerdict', xray, 'String');
    variable(Id.lastImageRef, 'LastImageRef', xray, 'String');

    const diverter = obj(Id.diverter, 'Diverter', line);
    variable(Id.lastDivertedParcelId, 'LastParcelId', diverter, 'String');
    variable(Id.lastDivertedLane, 'LastLane', diverter, 'String');
    ns.addMethod(diverter, {
      nodeId: `s=${Id.divert}`,
      browseName: 'Divert',
      inputArguments: [
        { name: 'ParcelId', dataType: DataType.String, description: 'parcel to divert when it reaches the divert eye' },
        { name: 'Lane', dataType: DataType.String, description: 'release | inspection | exception' },
      ],
      outputArguments: [],
    }).bindMethod(async (args: Variant[], _context: ISessionContext) => ({ statusCode: this.divert(String(args[0]?.value ?? ''), String(args[1]?.value ?? '')) }));

    this.publish();
  }

  private divert(parcelId: string, lane: string): StatusCode {
    if (parcelId === '' || !isDivertLane(lane)) return StatusCodes.BadInvalidArgument;
    if (this.model.fault.active) return StatusCodes.BadInvalidState;
    this.commandedLanes.set(parcelId, lane);
    this.divertCommands.push({ parcelId, lane });
    return StatusCodes.Good;
  }

  private addVerdictEventType(ns: Namespace): UAEventType {
    const type = ns.addObjectType({ nodeId: `s=${Id.verdictEventType}`, browseName: 'XrayVerdictEventType', subtypeOf: 'BaseEventType', isAbstract: false }) as UAEventType;
    for (const name of ['ParcelId', 'Verdict', 'ImageRef']) ns.addVariable({ propertyOf: type, browseName: name, dataType: 'String', modellingRule: 'Mandatory' });
    return type;
  }
}
