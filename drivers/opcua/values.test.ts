import { DataType, LocalizedText, NodeId, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { builtInDataType, eventFieldKey, plainToVariant, resolveBrowseName, resolveNodeIdText, toPlain, variantToPlain } from './values.ts';

const NAMESPACES = ['http://opcfoundation.org/UA/', 'urn:some-server', 'urn:bondgate:xray-line'];

describe('namespace URIs', () => {
  it('turns nsu= node ids into the index this server uses, and leaves other forms alone', () => {
    expect(resolveNodeIdText('nsu=urn:bondgate:xray-line;s=XrayLine.Conveyor', NAMESPACES)).toBe('ns=2;s=XrayLine.Conveyor');
    expect(resolveNodeIdText('nsu=http://opcfoundation.org/UA/;i=2253', NAMESPACES)).toBe('ns=0;i=2253');
    expect(resolveNodeIdText('ns=3;i=1001', NAMESPACES)).toBe('ns=3;i=1001');
    expect(resolveNodeIdText('nsu=urn:elsewhere;s=X', NAMESPACES)).toBeNull();
  });

  it('resolves browse names in all three spellings', () => {
    expect(resolveBrowseName('Time', NAMESPACES)?.toString()).toBe('Time');
    expect(resolveBrowseName('2:ParcelId', NAMESPACES)?.toString()).toBe('2:ParcelId');
    expect(resolveBrowseName('nsu=urn:bondgate:xray-line;ParcelId', NAMESPACES)?.toString()).toBe('2:ParcelId');
    expect(resolveBrowseName('nsu=urn:elsewhere;ParcelId', NAMESPACES)).toBeNull();
    expect(eventFieldKey('nsu=urn:bondgate:xray-line;ParcelId')).toBe('ParcelId');
    expect(eventFieldKey(['EnabledState', '0:Id'])).toBe('Id');
  });
});

describe('values to plain JSON and back', () => {
  it('makes readings JSON-safe', () => {
    expect(variantToPlain(new Variant({ dataType: DataType.LocalizedText, value: new LocalizedText({ text: 'Executing', locale: 'en' }) }))).toBe('Executing');
    expect(variantToPlain(new Variant({ dataType: DataType.DateTime, value: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)) }))).toBe('2025-01-02T03:04:05.000Z');
    expect(variantToPlain(new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1.5, 2] }))).toEqual([1.5, 2]);
    expect(variantToPlain(new Variant({ dataType: DataType.ByteString, value: Buffer.from([0xca, 0xfe]) }))).toBe('cafe');
    expect(variantToPlain(new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xfffffffe] }))).toBe(-2);
    expect(variantToPlain(new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xffffffff] }))).toBe('18446744073709551615');
    expect(variantToPlain(new Variant({ dataType: DataType.Null }))).toBeNull();
    expect(toPlain(StatusCodes.BadNodeIdUnknown)).toBe('BadNodeIdUnknown');
    expect(toPlain(new NodeId(NodeId.NodeIdType.STRING, 'A', 2))).toBe('ns=2;s=A');
    expect(toPlain(Number.NaN)).toBe('NaN');
  });

  it('builds Variants of the requested type, and names what does not fit', () => {
    expect(plainToVariant(DataType.Double, '0.8').value).toBe(0.8);
    expect(plainToVariant(DataType.Boolean, 'true').value).toBe(true);
    expect(plainToVariant(DataType.Int64, -2).value).toEqual([0xffffffff, 0xfffffffe]);
    expect(plainToVariant(DataType.String, ['a', 'b']).arrayType).toBe(VariantArrayType.Array);
    expect(() => plainToVariant(DataType.Int32, 'fast')).toThrow(/not a number/);
    expect(() => plainToVariant(DataType.DateTime, 'yesterday')).toThrow(/not a date/);
    expect(builtInDataType(new NodeId(NodeId.NodeIdType.NUMERIC, 11, 0))).toBe(DataType.Double);
    expect(builtInDataType(new NodeId(NodeId.NodeIdType.NUMERIC, 3002, 0))).toBeNull();
  });
});
