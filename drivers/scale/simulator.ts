import type { Link } from '../transport/transport.ts';
import { toledoChecksum } from './toledo-continuous.ts';

/**
 * A scale simulator: the same bytes a real indicator sends, for tests and the demo. `frame(kg, stable)` renders one
 * reading in the chosen protocol; `play` writes a scenario (a load arriving, settling, leaving) to a link.
 */
export type SimProtocol = 'ad-ascii' | 'toledo-continuous' | 'xk3190' | 'mt-sics';

export function renderFrame(protocol: SimProtocol, weightKg: number, stable: boolean): Buffer {
  const sign = weightKg < 0 ? '-' : '+';
  const abs = Math.abs(weightKg);
  switch (protocol) {
    case 'ad-ascii':
      return Buffer.from(`${stable ? 'ST' : 'US'},GS,${sign}${abs.toFixed(3).padStart(8, '0')}kg\r\n`, 'latin1');
    case 'mt-sics':
      return Buffer.from(`S ${stable ? 'S' : 'D'} ${(weightKg < 0 ? '-' : '') + abs.toFixed(3).padStart(9, ' ')} kg\r\n`, 'latin1');
    case 'toledo-continuous': {
      // SWA: decimal code 5 (XXX.XXX), increment ×1; SWB: kg, sign, motion.
      const body = [0x02, 0x20 | 0x08 | 5, 0x30 | 0x10 | (weightKg < 0 ? 0x02 : 0) | (stable ? 0 : 0x08), 0x20];
      const digits = String(Math.round(abs * 1000)).padStart(6, '0').slice(-6);
      const bytes = [...body, ...Buffer.from(digits + '000000', 'latin1'), 0x0d];
      return Buffer.from([...bytes, toledoChecksum(bytes)]);
    }
    case 'xk3190': {
      const digits = String(Math.round(abs * 100)).padStart(6, '0').slice(-6);
      const payload = Buffer.from(`${sign}${digits}2`, 'latin1');
      let xor = 0;
      for (const b of payload) xor ^= b;
      return Buffer.concat([Buffer.of(0x02), payload, Buffer.from(xor.toString(16).toUpperCase().padStart(2, '0'), 'latin1'), Buffer.of(0x03)]);
    }
  }
}

export async function play(link: Link, protocol: SimProtocol, steps: { weightKg: number; stable: boolean }[], intervalMs = 5): Promise<void> {
  for (const s of steps) {
    await link.write(renderFrame(protocol, s.weightKg, s.stable));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
