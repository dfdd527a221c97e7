import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { BENCH_TOKEN_MAX_CHARS, verifyBenchToken, type BenchTokenCheck } from '../../shared/bench-token.ts';
import { BondgateError, validationError } from '../../shared/errors.ts';

/**
 * A customs officer signed in at an inspection bench: the officer shows the bench token the hub issued (QR or text,
 * shared/bench-token.ts), the console checks it with the hub's rules public key — signature, this gateway, this
 * station, not expired — and the bench attaches it to every finding until sign-out or expiry. The console operator
 * (PIN session) stays who pressed the button; the token is what lets the hub name the officer. In memory only, like
 * operator sessions: a restarted edge asks the officer to sign in again. The token is never logged.
 */
export interface BenchOfficer {
  officer: string;
  expiresAtMs: number;
  token: string;
}

export class BenchOfficers {
  private readonly byStation = new Map<string, BenchOfficer>();

  constructor(private readonly o: { gatewayId: string; publicKeyPem: string | undefined; now: () => number }) {}

  signIn(stationId: string, token: string): BenchTokenCheck | { ok: false; reason: 'no_key' } {
    if (!this.o.publicKeyPem) return { ok: false, reason: 'no_key' };
    const check = verifyBenchToken(token, this.o.publicKeyPem, { gatewayId: this.o.gatewayId, stationId, atMs: this.o.now() });
    if (check.ok) this.byStation.set(stationId, { officer: check.claims.officer, expiresAtMs: check.claims.expiresAtMs, token });
    return check;
  }

  /** The officer signed in at the station now; an expired sign-in ends here. */
  current(stationId: string): BenchOfficer | undefined {
    const s = this.byStation.get(stationId);
    if (s && this.o.now() >= s.expiresAtMs) {
      this.byStation.delete(stationId);
      return undefined;
    }
    return s;
  }

  signOut(stationId: string): void {
    this.byStation.delete(stationId);
  }
}

const SignInBody = z.strictObject({ token: z.string().trim().min(1).max(BENCH_TOKEN_MAX_CHARS) });

const WHY: Record<string, string> = {
  no_key: "this gateway has no hub rules public key configured (hub.rulesPublicKey), so it cannot check bench tokens",
  malformed: 'this is not a bench token',
  bad_signature: 'the bench token is not signed by this hub',
  wrong_gateway: 'the bench token is for another gateway',
  wrong_station: 'the bench token is for another bench',
  not_yet_valid: 'the bench token is not valid yet (check this gateway’s clock)',
  expired: 'the bench token has expired: get a new one at the hub',
};

/**
 * `GET /station/:id/officer` (anyone who may view the station), `POST /station/:id/officer {token}` and
 * `POST /station/:id/officer/signout` (a signed-in operator, same origin, JSON): bench stations only.
 */
export function benchSignInRoutes(d: {
  officers: BenchOfficers;
  isBench: (stationId: string) => boolean;
  guard: RequestHandler[];
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}): Router {
  const r = Router();
  const bench = (id: string) => {
    if (!d.isBench(id)) throw new BondgateError('NOT_FOUND', 'no such bench station');
    return id;
  };
  const view = (id: string) => {
    const s = d.officers.current(id);
    return s ? { officer: s.officer, expiresAtMs: s.expiresAtMs } : { officer: null };
  };
  r.get('/station/:id/officer', (req, res) => {
    res.json(view(bench(String(req.params.id))));
  });
  r.post('/station/:id/officer', ...d.guard, (req, res) => {
    const id = bench(String(req.params.id));
    const body = SignInBody.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const check = d.officers.signIn(id, body.data.token);
    if (!check.ok) {
      d.log.warn({ stationId: id, operatorId: res.locals.operatorId, why: check.reason }, 'bench officer sign-in refused');
      throw new BondgateError('VALIDATION_FAILED', WHY[check.reason] ?? 'the bench token is not valid here', [{ field: 'token', message: check.reason }]);
    }
    d.log.info({ stationId: id, operatorId: res.locals.operatorId, officer: check.claims.officer }, 'bench officer signed in');
    res.json(view(id));
  });
  r.post('/station/:id/officer/signout', ...d.guard, (req, res) => {
    const id = bench(String(req.params.id));
    d.officers.signOut(id);
    d.log.info({ stationId: id, operatorId: res.locals.operatorId }, 'bench officer signed out');
    res.json(view(id));
  });
  return r;
}
