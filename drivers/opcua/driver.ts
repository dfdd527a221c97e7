import './quiet-logs.ts';
import {
  type Argument,
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  ClientMonitoredItem,
  constructEventFilter,
  ContentFilter,
  type DataValue,
  DataType,
  FilterOperator,
  LiteralOperand,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  type QualifiedName,
  resolveNodeId,
  SecurityPolicy,
  TimestampsToReturn,
  type UserIdentityInfo,
  UserTokenType,
  Variant,
} from 'node-opcua';
import { z } from 'zod';
import { type CommandResult, DriverBase } from '../contract.ts';
import { Name, NodeIdText, OpcUaConfig } from './config.ts';
import { XRAY_LINE_NAMESPACE, XrayLineIds as Id, xrayNode } from './xray-line-nodes.ts';
import { builtInDataType, eventFieldKey, type OpcUaValue, plainToVariant, resolveBrowseName, resolveNodeIdText, variantToPlain, WRITABLE_DATA_TYPES } from './values.ts';

/**
 * An OPC UA server on a PLC or line controller (X-ray lines, conveyors, sorters; devices.md §5), through node-opcua:
 * one session, one subscription with the configured data items and event notifiers, and named writes and method
 * calls. node-opcua re-creates the secure channel, the session and the subscription after the server comes back
 * (verified in opcua.test.ts); the supervisor restarts the driver when start() fails or the link stays down.
 *
 * Node ids may be `nsu=<namespace uri>;s=…`: resolved against the server's namespace array at start, because
 * namespace indexes are not stable across PLC projects while URIs are.
 */
export { OpcUaConfig };

export const OpcUaCommand = z.union([
  z.object({ op: z.literal('write'), name: Name, value: z.unknown(), dataType: z.enum(WRITABLE_DATA_TYPES).optional() }),
  z.object({ op: z.literal('write'), nodeId: NodeIdText, value: z.unknown(), dataType: z.enum(WRITABLE_DATA_TYPES).optional() }),
  z.object({ op: z.literal('call'), method: Name, args: z.array(z.unknown()).default([]) }),
]);
/** A write names a monitored item or gives a node id; without `dataType`, the node's own DataType is read first. */
export type OpcUaCommand = z.input<typeof OpcUaCommand>;

export type OpcUaReading =
  | {
      kind: 'opcua.value';
      name: string;
      /** Null when the status is bad: the value of a bad reading means nothing (Part 4, 7.7.1). */
      value: OpcUaValue;
      /** The status code's name: `Good`, `UncertainLastUsableValue`, `BadNodeIdUnknown`, … */
      statusCode: string;
      sourceTimestamp: number | null;
      atMs: number;
    }
  | { kind: 'opcua.event'; name: string; fields: Record<string, OpcUaValue>; atMs: number }
  | { kind: 'device.error'; reason: string; rawHex: string; atMs: number };

export class OpcUaDriver extends DriverBase<OpcUaReading, OpcUaCommand> {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private namespaces: string[] = [];
  private readonly inputArguments = new Map<string, Argument[]>();
  private closing: Promise<void> | undefined;
  private subscriptionId: number | undefined;

  constructor(private readonly config: OpcUaConfig, private readonly now: () => number = Date.now) {
    super();
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error('aborted before start');
    const c = this.config;
    const client = OPCUAClient.create({
      applicationName: 'Bondgate edge',
      applicationUri: c.applicationUri,
      clientName: `bondgate ${c.endpointUrl}`,
      endpointMustExist: false,
      securityMode: MessageSecurityMode[c.securityMode],
      securityPolicy: SecurityPolicy[c.securityPolicy],
      requestedSessionTimeout: c.sessionTimeoutMs,
      defaultTransactionTimeout: c.requestTimeoutMs,
      keepSessionAlive: true,
      connectionStrategy: { maxRetry: c.connectionStrategy.maxRetry, initialDelay: c.connectionStrategy.initialDelayMs, maxDelay: c.connectionStrategy.maxDelayMs },
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: c.pkiDir, automaticallyAcceptUnknownCertificate: c.acceptUnknownServerCertificate }),
    });
    this.client = client;
    const onAbort = () => void this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    this.watchLink(client);
    try {
      await client.connect(c.endpointUrl);
      const identity: UserIdentityInfo = c.username !== undefined ? { type: UserTokenType.UserName, userName: c.username, password: c.password ?? '' } : { type: UserTokenType.Anonymous };
      const session = await client.createSession(identity);
      this.session = session;
      this.namespaces = await session.readNamespaceArray();
      await this.subscribe(session);
      await this.readMethodArguments(session);
    } catch (e) {
      signal.removeEventListener('abort', onAbort);
      await this.close();
      throw new Error(`OPC UA ${c.endpointUrl}: ${signal.aborted ? 'aborted' : message(e)}`, { cause: e });
    }
    if (this.closing) throw new Error(`OPC UA ${c.endpointUrl}: aborted`); // abort landed just as the last step finished
    this.h.connected = true;
    this.h.lastReadingMs = this.now();
  }

  /**
   * Read every configured method's InputArguments now, not on its first call: a diverter command has a few hundred
   * milliseconds before the parcel reaches the flap, and the first call must not spend them on a browse.
   */
  private async readMethodArguments(session: ClientSession): Promise<void> {
    for (const m of this.config.methods) {
      const methodId = resolveNodeIdText(m.methodId, this.namespaces);
      if (methodId === null || this.inputArguments.has(m.name)) continue;
      try {
        this.inputArguments.set(m.name, (await session.getArgumentDefinition(methodId)).inputArguments);
      } catch {
        // Unknown on this server: the call itself will report it.
      }
    }
  }

  /** The server's id for our subscription; a new one after the server restarted (devices.md §5). */
  get currentSubscriptionId(): number | undefined {
    return this.subscriptionId;
  }

  /** Resolves once an aborted driver has closed its subscription, session and client (tests wait on it). */
  closed(): Promise<void> {
    return this.closing ?? Promise.resolve();
  }

  private watchLink(client: OPCUAClient): void {
    client.on('connection_lost', () => {
      if (this.closing) return;
      this.h.connected = false;
      this.fail('connection to the OPC UA server lost; reconnecting');
    });
    // Each failed reconnection attempt: the link is still down, whatever happened in between.
    client.on('backoff', () => {
      if (this.closing || !this.session) return;
      this.h.connected = false;
    });
    client.on('connection_reestablished', () => {
      if (this.closing) return;
      this.h.reconnects += 1;
      void this.afterReconnect();
    });
  }

  /**
   * node-opcua has by now reactivated the session, or created a new one and re-created the subscription with its
   * monitored items under a new id (the server restarted: devices.md §5, "subscriptions change id"). If the
   * subscription did not survive, build it again; the link only counts as up once data can flow.
   */
  private async afterReconnect(): Promise<void> {
    const session = this.session;
    const sub = this.subscription;
    try {
      if (!session) return;
      if (!sub || !sub.isActive) {
        await sub?.terminate().catch(() => undefined); // it is dead already; only its client-side bookkeeping goes
        await this.subscribe(session);
      }
      this.subscriptionId = this.subscription?.subscriptionId;
      this.h.connected = true;
      this.h.lastReadingMs = this.now();
    } catch (e) {
      this.fail(`could not re-create the subscription after reconnecting: ${message(e)}`);
    }
  }

  private async subscribe(session: ClientSession): Promise<void> {
    const c = this.config;
    const sub = await session.createSubscription2({
      requestedPublishingInterval: c.publishingIntervalMs,
      requestedMaxKeepAliveCount: c.keepAliveCount,
      requestedLifetimeCount: c.keepAliveCount * 6, // Part 4: at least three keepalive periods
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    this.subscription = sub;
    this.subscriptionId = sub.subscriptionId;
    // An idle line changes nothing for minutes: the server's keepalives are what prove the link is alive.
    sub.on('keepalive', () => {
      this.h.lastReadingMs = this.now();
    });
    sub.on('internal_error', (err: Error) => this.fail(`subscription: ${err.message}`));
    const created: Promise<void>[] = [];
    for (const item of c.monitoredItems) created.push(this.monitorValue(sub, item));
    for (const ev of c.events) created.push(this.monitorEvents(sub, ev));
    await Promise.all(created);
  }

  private monitorValue(sub: ClientSubscription, item: OpcUaConfig['monitoredItems'][number]): Promise<void> {
    const nodeId = resolveNodeIdText(item.nodeId, this.namespaces);
    if (nodeId === null) {
      this.emitValue(item.name, null, 'BadNodeIdUnknown', null);
      return Promise.resolve();
    }
    const mi = ClientMonitoredItem.create(sub, { nodeId, attributeId: AttributeIds.Value }, { samplingInterval: this.config.samplingIntervalMs, discardOldest: true, queueSize: this.config.queueSize }, TimestampsToReturn.Both);
    mi.on('changed', (dv: DataValue) => {
      const good = dv.statusCode.isGoodish();
      this.emitValue(item.name, good ? variantToPlain(dv.value) : null, dv.statusCode.name, dv.sourceTimestamp?.getTime() ?? null);
    });
    return this.whenCreated(mi, (status) => this.emitValue(item.name, null, status, null));
  }

  private monitorEvents(sub: ClientSubscription, ev: OpcUaConfig['events'][number]): Promise<void> {
    const nodeId = resolveNodeIdText(ev.nodeId, this.namespaces);
    const paths = ev.fields.map((f) => (typeof f === 'string' ? [f] : f).map((s) => resolveBrowseName(s, this.namespaces)));
    const typeId = ev.eventTypeId === undefined ? undefined : resolveNodeIdText(ev.eventTypeId, this.namespaces);
    if (nodeId === null || typeId === null || paths.some((p) => p.includes(null))) {
      this.fail(`events "${ev.name}": a namespace URI in its node ids or fields is unknown to the server`);
      return Promise.resolve();
    }
    const whereClause =
      typeId === undefined
        ? undefined
        : new ContentFilter({ elements: [{ filterOperator: FilterOperator.OfType, filterOperands: [new LiteralOperand({ value: new Variant({ dataType: DataType.NodeId, value: resolveNodeId(typeId) }) })] }] });
    const filter = constructEventFilter(paths as QualifiedName[][], whereClause);
    const keys = ev.fields.map(eventFieldKey);
    // Events are not states: every one matters, so the queue is deep (a burst of parcels between two publishes).
    const mi = ClientMonitoredItem.create(sub, { nodeId, attributeId: AttributeIds.EventNotifier }, { samplingInterval: 0, discardOldest: false, queueSize: 1000, filter }, TimestampsToReturn.Neither);
    mi.on('changed', (values: Variant[]) => {
      const atMs = this.now();
      this.h.lastReadingMs = atMs;
      this.emit({ kind: 'opcua.event', name: ev.name, fields: Object.fromEntries(keys.map((k, i) => [k, variantToPlain(values[i])])), atMs });
    });
    return this.whenCreated(mi, (status) => this.fail(`events "${ev.name}": ${status}`));
  }

  /** Waits for the server to accept a monitored item; a refused one is reported, not thrown (Kura style). */
  private whenCreated(mi: ClientMonitoredItem, refused: (statusName: string) => void): Promise<void> {
    return new Promise((resolve) => {
      mi.once('initialized', () => resolve());
      mi.once('err', () => {
        refused(mi.statusCode?.name ?? 'Bad');
        resolve();
      });
    });
  }

  private emitValue(name: string, value: OpcUaValue, statusCode: string, sourceTimestamp: number | null): void {
    const atMs = this.now();
    if (statusCode === 'Good' || statusCode.startsWith('Uncertain')) this.h.lastReadingMs = atMs;
    this.emit({ kind: 'opcua.value', name, value, statusCode, sourceTimestamp, atMs });
  }

  private fail(reason: string): void {
    this.h.errors += 1;
    this.emit({ kind: 'device.error', reason, rawHex: '', atMs: this.now() });
  }

  async send(cmd: OpcUaCommand): Promise<CommandResult> {
    const session = this.session;
    if (!session || !this.h.connected) return { ok: false, code: 'DEVICE_DISCONNECTED', message: 'OPC UA server not connected' };
    const parsed = OpcUaCommand.safeParse(cmd);
    if (!parsed.success) return { ok: false, code: 'BAD_COMMAND', message: z.prettifyError(parsed.error) };
    try {
      const c = parsed.data;
      return c.op === 'write' ? await this.write(session, 'name' in c ? c.name : undefined, 'nodeId' in c ? c.nodeId : undefined, c.value, c.dataType) : await this.call(session, c.method, c.args);
    } catch (e) {
      this.fail(`command failed: ${message(e)}`);
      return { ok: false, code: 'COMMAND_FAILED', message: message(e) };
    }
  }

  private async write(session: ClientSession, name: string | undefined, nodeIdText: string | undefined, value: unknown, dataTypeName: (typeof WRITABLE_DATA_TYPES)[number] | undefined): Promise<CommandResult> {
    const configured = name === undefined ? nodeIdText : this.config.monitoredItems.find((m) => m.name === name)?.nodeId;
    if (configured === undefined) return { ok: false, code: 'UNKNOWN_NAME', message: `no monitored item named "${name}"` };
    const nodeId = resolveNodeIdText(configured, this.namespaces);
    if (nodeId === null) return { ok: false, code: 'BadNodeIdUnknown', message: `namespace of ${configured} unknown to the server` };
    let dataType = dataTypeName === undefined ? null : DataType[dataTypeName];
    if (dataType === null) {
      const dv = await session.read({ nodeId, attributeId: AttributeIds.DataType });
      if (dv.statusCode.isNotGood()) return { ok: false, code: dv.statusCode.name, message: dv.statusCode.description };
      dataType = builtInDataType(dv.value.value);
      if (dataType === null) return { ok: false, code: 'UNSUPPORTED_DATA_TYPE', message: `${configured} has data type ${String(dv.value.value)}: give dataType or write it another way` };
    }
    let variant: Variant;
    try {
      variant = plainToVariant(dataType, value);
    } catch (e) {
      return { ok: false, code: 'BadTypeMismatch', message: message(e) };
    }
    const status = await session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: variant } });
    return status.isGood() ? { ok: true } : { ok: false, code: status.name, message: status.description };
  }

  private async call(session: ClientSession, methodName: string, args: unknown[]): Promise<CommandResult> {
    const method = this.config.methods.find((m) => m.name === methodName);
    if (!method) return { ok: false, code: 'UNKNOWN_METHOD', message: `no method named "${methodName}"` };
    const objectId = resolveNodeIdText(method.objectId, this.namespaces);
    const methodId = resolveNodeIdText(method.methodId, this.namespaces);
    if (objectId === null || methodId === null) return { ok: false, code: 'BadNodeIdUnknown', message: `namespace of method "${methodName}" unknown to the server` };
    // Arguments are typed from the method's own InputArguments, read once: the PLC is the authority on its types.
    let definition = this.inputArguments.get(methodName);
    if (!definition) {
      definition = (await session.getArgumentDefinition(methodId)).inputArguments;
      this.inputArguments.set(methodName, definition);
    }
    if (args.length !== definition.length) return { ok: false, code: args.length < definition.length ? 'BadArgumentsMissing' : 'BadTooManyArguments', message: `"${methodName}" takes ${definition.length} arguments (${definition.map((a) => a.name).join(', ')}), got ${args.length}` };
    const inputArguments: Variant[] = [];
    for (const [i, arg] of definition.entries()) {
      const dataType = builtInDataType(arg.dataType);
      if (dataType === null) return { ok: false, code: 'UNSUPPORTED_DATA_TYPE', message: `argument ${arg.name ?? i} of "${methodName}" is not a built-in type` };
      try {
        inputArguments.push(plainToVariant(dataType, args[i], arg.valueRank >= 1));
      } catch (e) {
        return { ok: false, code: 'BadTypeMismatch', message: `argument ${arg.name ?? i}: ${message(e)}` };
      }
    }
    const result = await session.call({ objectId, methodId, inputArguments });
    if (result.statusCode.isGood()) return { ok: true };
    const badArg = (result.inputArgumentResults ?? []).findIndex((s) => s.isNotGood());
    const detail = badArg >= 0 ? ` (argument ${definition[badArg]?.name ?? badArg}: ${result.inputArgumentResults![badArg]!.name})` : '';
    return { ok: false, code: result.statusCode.name, message: `${result.statusCode.description}${detail}` };
  }

  private close(): Promise<void> {
    this.closing ??= (async () => {
      this.h.connected = false;
      const { client, session } = this;
      this.session = undefined;
      this.subscription = undefined;
      // Closing the session deletes its subscriptions on the server. When the link is down there is nobody to tell:
      // skip it rather than wait for a request timeout, the server expires the session itself.
      if (session && client && !client.isReconnecting) await session.close(true).catch(() => undefined);
      // disconnect() also cancels a reconnection loop in progress, which would otherwise keep the process alive.
      await client?.disconnect();
    })();
    return this.closing;
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The driver config for the simulated X-ray line (line-simulator.ts), also the template for a real line: data items
 * for the conveyor, eyes, fault and X-ray state, the verdict event, and the line's methods. Node ids use the
 * namespace URI, so the preset works whatever index the server gives the namespace.
 */
export function xrayLineDriverConfig(endpointUrl: string, pkiDir: string, overrides: Partial<z.input<typeof OpcUaConfig>> = {}): OpcUaConfig {
  const n = xrayNode;
  const ns = (name: string) => `nsu=${XRAY_LINE_NAMESPACE};${name}`;
  return OpcUaConfig.parse({
    endpointUrl,
    pkiDir,
    monitoredItems: [
      { name: 'conveyor.state', nodeId: n(Id.stateCurrent) },
      { name: 'conveyor.speed', nodeId: n(Id.curMachSpeed) },
      { name: 'conveyor.speedSetpoint', nodeId: n(Id.machSpeed) },
      { name: 'eye.entry', nodeId: n(Id.entryEye) },
      { name: 'eye.xray', nodeId: n(Id.xrayEye) },
      { name: 'eye.divert', nodeId: n(Id.divertEye) },
      { name: 'fault.active', nodeId: n(Id.fault) },
      { name: 'fault.code', nodeId: n(Id.faultCode) },
      { name: 'fault.text', nodeId: n(Id.faultText) },
      { name: 'xray.state', nodeId: n(Id.xrayItemState) },
      { name: 'diverter.lastParcelId', nodeId: n(Id.lastDivertedParcelId) },
      { name: 'diverter.lastLane', nodeId: n(Id.lastDivertedLane) },
    ],
    events: [{ name: 'xray.verdict', nodeId: n(Id.xrayMachine), eventTypeId: n(Id.verdictEventType), fields: [ns('ParcelId'), ns('Verdict'), ns('ImageRef'), 'Time'] }],
    methods: [
      { name: 'divert', objectId: n(Id.diverter), methodId: n(Id.divert) },
      ...(['reset', 'start', 'stop', 'hold', 'unhold', 'abort', 'clear'] as const).map((m) => ({ name: `conveyor.${m}`, objectId: n(Id.conveyor), methodId: n(Id[m]) })),
      { name: 'conveyor.command', objectId: n(Id.conveyor), methodId: n(Id.stateCommand) },
    ],
    ...overrides,
  });
}
