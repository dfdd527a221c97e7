import modbusSerial from 'modbus-serial';

// CommonJS with `module.exports.default = module.exports`: under NodeNext the default import is the module object.
const ModbusRTU = modbusSerial.default;

/**
 * The few Modbus calls our drivers make, behind an interface: drivers take a factory, so tests and the simulator
 * never depend on how the link is made (TCP here; RTU over serial uses the same calls).
 */
export interface ModbusClient {
  readCoils(address: number, count: number): Promise<boolean[]>;
  readDiscreteInputs(address: number, count: number): Promise<boolean[]>;
  readHoldingRegisters(address: number, count: number): Promise<number[]>;
  writeCoil(address: number, on: boolean): Promise<void>;
  writeRegister(address: number, value: number): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export type ModbusClientFactory = () => Promise<ModbusClient>;

export function modbusTcp(opts: { host: string; port: number; unitId: number; timeoutMs: number }): ModbusClientFactory {
  return async () => {
    const m = new ModbusRTU();
    await m.connectTCP(opts.host, { port: opts.port });
    m.setID(opts.unitId);
    m.setTimeout(opts.timeoutMs);
    return {
      readCoils: async (a, n) => (await m.readCoils(a, n)).data.slice(0, n),
      readDiscreteInputs: async (a, n) => (await m.readDiscreteInputs(a, n)).data.slice(0, n),
      readHoldingRegisters: async (a, n) => (await m.readHoldingRegisters(a, n)).data,
      writeCoil: async (a, on) => void (await m.writeCoil(a, on)),
      writeRegister: async (a, v) => void (await m.writeRegister(a, v)),
      close: () => new Promise<void>((resolve) => (m.isOpen ? m.close(() => resolve()) : resolve())),
      get isOpen() {
        return m.isOpen;
      },
    };
  };
}
