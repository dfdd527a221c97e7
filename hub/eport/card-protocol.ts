import { z } from 'zod';

/**
 * The e-port card client's local WebSocket protocol (shared/domain/eport.md §1), as public integrations speak it:
 * JSON text frames. A request is `{"_method": NAME, "_id": N, "args": {...}}`; an answer echoes `_id` and `_method`
 * with `_status` ("00" when the client understood the call) and `_args: {Result, Data, Error}`. On connecting, the
 * client sends a greeting whose `_method` is "open". Pure: no I/O, shared by the hub's client (card-client.ts) and the
 * simulator (card-simulator.ts), so both speak the same bytes.
 *
 * Large payloads: the official browser library splits requests over 120 KiB into "BLOCKTXT" frames. The hub only
 * ever sends a canonical SignedInfo (about 1 KiB), so neither side implements blocks; a block frame is `garbage`.
 */

export const CARD_METHOD = {
  /** args `{inData, passwd}` → `Data[0]` the signature value (base64) over inData; cards also give `Data[1]`, the certificate number. */
  sign: 'cus-sec_SpcSignDataAsPEM',
  /** → `Data[0]` the signing certificate (base64 DER). */
  signCertificate: 'cus-sec_SpcGetSignCertAsPEM',
  /** → the certificate's validity (format not confirmed in public code: the hub reads the validity from the certificate itself). */
  validity: 'cus-sec_SpcGetValidTimeFromCert',
} as const;

export const CARD_GREETING = 'open';

export interface CardRequest {
  _method: string;
  _id: number;
  args: Record<string, string>;
}

export function encodeRequest(req: CardRequest): string {
  return JSON.stringify(req);
}

const Id = z.union([z.number().int(), z.string().max(64)]);
const Answer = z.object({
  _id: Id.optional(),
  _method: z.string().max(200),
  _status: z.string().max(32).optional(),
  _args: z
    .object({
      Result: z.boolean(),
      Data: z.array(z.unknown()).default([]),
      Error: z.array(z.unknown()).default([]),
    })
    .optional(),
});

export type CardFrame =
  | { kind: 'greeting' }
  | { kind: 'answer'; id: string; method: string; result: boolean; status: string | undefined; data: string[]; errors: string[] }
  | { kind: 'garbage'; reason: string };

const texts = (xs: unknown[]) => xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));

/** One frame from the card client. Never throws: anything unreadable is `garbage` with the reason. */
export function decodeAnswer(text: string): CardFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'garbage', reason: `not JSON (${text.slice(0, 40)}…)` };
  }
  const a = Answer.safeParse(json);
  if (!a.success) return { kind: 'garbage', reason: `not a card answer: ${a.error.issues[0]?.message ?? 'shape'}` };
  if (a.data._method === CARD_GREETING) return { kind: 'greeting' };
  if (a.data._id === undefined) return { kind: 'garbage', reason: `answer to ${a.data._method} without _id` };
  const args = a.data._args ?? { Result: false, Data: [], Error: ['the answer has no _args'] };
  return { kind: 'answer', id: String(a.data._id), method: a.data._method, result: args.Result, status: a.data._status, data: texts(args.Data), errors: texts(args.Error) };
}

const Request = z.object({ _method: z.string().max(200), _id: Id, args: z.record(z.string(), z.unknown()).default({}) });

/** A request as the simulator reads it; undefined when the frame is not one. */
export function decodeRequest(text: string): { method: string; id: string | number; args: Record<string, unknown> } | undefined {
  try {
    const r = Request.safeParse(JSON.parse(text));
    return r.success ? { method: r.data._method, id: r.data._id, args: r.data.args } : undefined;
  } catch {
    return undefined;
  }
}

export function encodeAnswer(a: { id: string | number; method: string; result: boolean; data?: string[]; errors?: string[] }): string {
  return JSON.stringify({ _id: a.id, _method: a.method, _status: '00', _args: { Result: a.result, Data: a.data ?? [], Error: a.errors ?? [] } });
}

export const encodeGreeting = () => JSON.stringify({ _method: CARD_GREETING, _status: '00', _args: { Result: true, Data: [], Error: [] } });
