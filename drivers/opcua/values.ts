import { DataType, LocalizedText, NodeId, QualifiedName, StatusCode, Variant, VariantArrayType } from 'node-opcua';

/**
 * Pure conversions between the driver's plain-JSON world and OPC UA's typed one: namespace URIs to indexes, values to
 * Variants and back. No session, no I/O; the driver does the talking.
 */

/** What readings carry: JSON-safe, so a reading can go to SQLite, MQTT or a log line as it is. */
export type OpcUaValue = null | boolean | number | string | OpcUaValue[] | { [key: string]: OpcUaValue };

/**
 * `nsu=<uri>;<id>` → `ns=<index>;<id>` against the server's namespace array; other forms pass through. Null when the
 * server does not know the URI (the node cannot exist there). Indexes are positions in the array the server sends
 * and can change with a PLC firmware or project update; URIs cannot, so configs should prefer them.
 */
export function resolveNodeIdText(text: string, namespaces: readonly string[]): string | null {
  const m = /^nsu=([^;]+);(.+)$/.exec(text);
  if (!m) return text;
  const index = namespaces.indexOf(m[1]!);
  return index < 0 ? null : `ns=${index};${m[2]!}`;
}

/** A browse-name segment: `Name` (namespace 0), `<index>:Name`, or `nsu=<uri>;Name`. Null for an unknown URI. */
export function resolveBrowseName(segment: string, namespaces: readonly string[]): QualifiedName | null {
  const nsu = /^nsu=([^;]+);(.+)$/.exec(segment);
  if (nsu) {
    const index = namespaces.indexOf(nsu[1]!);
    return index < 0 ? null : new QualifiedName({ namespaceIndex: index, name: nsu[2]! });
  }
  const indexed = /^(\d+):(.+)$/.exec(segment);
  if (indexed) return new QualifiedName({ namespaceIndex: Number(indexed[1]), name: indexed[2]! });
  return new QualifiedName({ namespaceIndex: 0, name: segment });
}

/** The key an event field gets in a reading: the plain name of its last browse-path segment. */
export function eventFieldKey(path: string | readonly string[]): string {
  const last = typeof path === 'string' ? path : (path[path.length - 1] ?? '');
  return last.replace(/^nsu=[^;]+;/, '').replace(/^\d+:/, '');
}

const INT64_TYPES = new Set<DataType>([DataType.Int64, DataType.UInt64]);

/** A Variant as plain JSON. Int64 comes as [high, low] words from node-opcua: a number while it fits, else a string. */
export function variantToPlain(v: Variant | null | undefined): OpcUaValue {
  if (!v || v.dataType === DataType.Null) return null;
  if (INT64_TYPES.has(v.dataType)) {
    const one = (w: unknown): OpcUaValue => {
      if (!Array.isArray(w) || w.length !== 2) return toPlain(w);
      const big = (BigInt.asIntN(64, (BigInt(w[0] as number) << 32n) | BigInt((w[1] as number) >>> 0)));
      const n = v.dataType === DataType.UInt64 ? BigInt.asUintN(64, big) : big;
      return Number.isSafeInteger(Number(n)) ? Number(n) : n.toString();
    };
    return v.arrayType === VariantArrayType.Scalar ? one(v.value) : [...(v.value as unknown[])].map(one);
  }
  return toPlain(v.value);
}

export function toPlain(x: unknown): OpcUaValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'string') return x;
  if (typeof x === 'number') return Number.isFinite(x) ? x : String(x); // NaN/Infinity are valid floats on a PLC, not JSON
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
  if (x instanceof Date) return Number.isNaN(x.getTime()) ? null : x.toISOString();
  if (Buffer.isBuffer(x)) return x.toString('hex');
  if (x instanceof LocalizedText) return x.text ?? '';
  if (x instanceof Variant) return variantToPlain(x);
  if (x instanceof StatusCode) return x.name;
  if (x instanceof NodeId || x instanceof QualifiedName) return x.toString();
  if (Array.isArray(x)) return x.map(toPlain);
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>, toPlain);
  if (typeof x === 'object') {
    const json = (x as { toJSON?: () => unknown }).toJSON;
    const source = typeof json === 'function' ? json.call(x) : x;
    if (source !== x) return toPlain(source);
    return Object.fromEntries(Object.entries(source as object).map(([k, v]) => [k, toPlain(v)]));
  }
  return String(x);
}

/** Built-in types a command may name; `DataType` numbers 1–21 are the same in every server (Part 6). */
export const WRITABLE_DATA_TYPES = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String', 'DateTime', 'ByteString', 'LocalizedText'] as const;
export type WritableDataType = (typeof WRITABLE_DATA_TYPES)[number];

/** The built-in DataType of a DataType NodeId (ns=0, i ≤ 25), or null for structures and enums we do not encode. */
export function builtInDataType(dataTypeId: NodeId | null | undefined): DataType | null {
  if (!dataTypeId || dataTypeId.namespace !== 0 || typeof dataTypeId.value !== 'number') return null;
  return dataTypeId.value >= 1 && dataTypeId.value <= 25 ? (dataTypeId.value as DataType) : null;
}

function scalarFor(dataType: DataType, value: unknown): unknown {
  switch (dataType) {
    case DataType.Boolean:
      if (typeof value === 'string') return value === 'true' || value === '1';
      return Boolean(value);
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double: {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'boolean' || value === '' || value === null || Number.isNaN(n)) throw new TypeError(`${String(value)} is not a number`);
      return n;
    }
    case DataType.Int64:
    case DataType.UInt64: {
      // node-opcua encodes 64-bit integers as [high, low] 32-bit words.
      const b = BigInt(value as string | number | bigint);
      const u = BigInt.asUintN(64, b);
      return [Number(u >> 32n), Number(u & 0xffffffffn)];
    }
    case DataType.String:
      return typeof value === 'string' ? value : JSON.stringify(value);
    case DataType.DateTime: {
      const d = value instanceof Date ? value : new Date(value as string | number);
      if (Number.isNaN(d.getTime())) throw new TypeError(`${String(value)} is not a date`);
      return d;
    }
    case DataType.ByteString:
      return typeof value === 'string' ? Buffer.from(value, 'hex') : Buffer.from(value as Uint8Array);
    case DataType.LocalizedText:
      return new LocalizedText({ text: String(value) });
    default:
      throw new TypeError(`data type ${DataType[dataType]} is not supported in commands`);
  }
}

/** A plain value as a Variant of the given type; throws a TypeError naming the problem when it cannot be one. */
export function plainToVariant(dataType: DataType, value: unknown, isArray = Array.isArray(value)): Variant {
  if (isArray) {
    if (!Array.isArray(value)) throw new TypeError('expected an array');
    return new Variant({ dataType, arrayType: VariantArrayType.Array, value: value.map((v) => scalarFor(dataType, v)) });
  }
  // arrayType always given: node-opcua cannot tell a scalar Int64 ([high, low]) from an array of two on its own.
  return new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: scalarFor(dataType, value) });
}
