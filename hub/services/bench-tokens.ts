import { BondgateError } from '../../shared/errors.ts';
import { signBenchToken, type BenchTokenClaims } from '../../shared/bench-token.ts';
import type { Storage } from '../storage/storage.ts';

export interface Bench {
  gatewayId: string;
  stationId: string;
}

/**
 * Bench tokens (shared/bench-token.ts): how a customs officer signed in at the hub signs in at an edge inspection bench.
 * Issued only for a bench the hub is configured with, to the officer who asks (the route lets only officers ask),
 * signed with the hub's rules key, and put on the audit chain (without the token: it is a bearer credential).
 */
export class BenchTokenService {
  private readonly now: () => number;
  constructor(private readonly d: { storage: Storage; benches: readonly Bench[]; privateKeyPem: string; ttlMs: number; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  benches(): Bench[] {
    return this.d.benches.map((b) => ({ gatewayId: b.gatewayId, stationId: b.stationId }));
  }

  async issue(officer: string, bench: Bench): Promise<{ token: string; claims: BenchTokenClaims }> {
    if (!this.d.benches.some((b) => b.gatewayId === bench.gatewayId && b.stationId === bench.stationId)) {
      throw new BondgateError('NOT_FOUND', `no bench ${bench.stationId} on gateway ${bench.gatewayId} is configured at the hub (hub config: benches)`, [{ field: 'stationId', message: 'not a configured bench' }]);
    }
    const issuedAtMs = this.now();
    const claims: BenchTokenClaims = { v: 1, officer, gatewayId: bench.gatewayId, stationId: bench.stationId, issuedAtMs, expiresAtMs: issuedAtMs + this.d.ttlMs };
    const token = signBenchToken(claims, this.d.privateKeyPem);
    await this.d.storage.appendAudit({ actor: officer, action: 'bench.token', subject: `bench:${bench.gatewayId}/${bench.stationId}`, detail: { gateway: bench.gatewayId, station: bench.stationId, expiresAtMs: claims.expiresAtMs } }, issuedAtMs);
    return { token, claims };
  }
}
