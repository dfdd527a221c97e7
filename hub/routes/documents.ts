import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { BondgateError, isBondgateError, validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { mapCebHere, UploadGate, type MapCeb } from '../services/ceb-pool.ts';
import type { CustomsService, IntakeWarning, OrderOutcome } from '../services/customs.ts';
import { errorFields, intakeAudit } from '../services/intake-audit.ts';
import type { Storage, StoredDocument } from '../storage/storage.ts';
import { DOCUMENT_KINDS, type DocumentKind } from '../customs/documents.ts';
import { REF_FIELDS } from '../customs/receipts.ts';
import { documentByKey, documentsByKind, documentsByRef, LISTED_KINDS } from '../repos/documents.ts';

/**
 * `POST /api/documents`: `{documents: [...]}` as JSON, or one CEB XML message (application/xml, text/xml); each order
 * touched is matched and decided.
 *
 * XML arrives as raw bytes (express.raw: a charset parameter in Content-Type is not used) and the hub decodes it itself,
 * by its BOM and XML declaration (UTF-8, UTF-16 with a BOM, GBK/GB18030), exactly as a file from the drop folder or the
 * CLI: bytes invalid in that encoding, a declaration that contradicts the bytes, or U+FFFD in the text are refused (400,
 * field `xml`, codes XML_ENCODING_*), nothing stored. It is parsed, checked and mapped in a
 * worker thread (`intake.mapXml`, services/ceb-pool.ts): the main thread — HTTP, ingest, the embedded broker — keeps
 * answering during a 5 MB message. At most `intake.gate.max` XML uploads are in at once; one more gets 429 with
 * Retry-After before its body is read. Every upload, accepted or refused, leaves an audit entry.
 *
 * The answer lists `warnings` (issue 15): what only the XSD documentation or the code tables rule out, recorded with the
 * document it concerns (`document`: its index in the upload, `kind`, `key`) and never a reason to refuse.
 */
const Body = z.object({ documents: z.array(z.unknown()).min(1).max(5000) });

const XML_TYPES = ['application/xml', 'text/xml'];
const MAX_XML_BYTES = '10mb';

export interface DocumentIntake {
  mapXml: MapCeb;
  gate: UploadGate;
}

const view = (o: OrderOutcome) => ({
  orderNo: o.orderNo,
  parcelKey: o.parcelKey,
  decision: o.release.decision,
  reasons: o.release.reasons,
  risk: { level: o.risk.level, rulesVersion: o.risk.rulesVersion, reasons: o.risk.reasons },
  // Mismatch values are masked by the matcher (names, addresses, ID numbers, phones).
  match: { complete: o.match.complete, consistent: o.match.consistent, missing: o.match.missing, mismatches: o.match.mismatches },
});

/** Counts for the audit entry: what an upload decided (possibly nothing). */
const decided = (outcomes: readonly OrderOutcome[]) => ({ orders: outcomes.length, parcelsDecided: outcomes.filter((o) => o.parcelKey !== null).length });

export function documentRoutes(storage: Storage, customs: CustomsService, intake: DocumentIntake = { mapXml: mapCebHere, gate: new UploadGate(4) }): Router {
  const r = Router();
  const audit = (actor: string, subject: string, detail: Record<string, unknown>) => storage.appendAudit(intakeAudit(actor, 'documents.upload', subject, detail), Date.now());

  /** XML uploads only: a place at the gate before the body is read, released when the response is done. */
  const admit = (req: Request, res: Response, next: NextFunction) => {
    if (!req.is(XML_TYPES)) return next();
    try {
      const release = intake.gate.enter();
      res.on('close', release);
      next();
    } catch (e) {
      res.setHeader('retry-after', String(intake.gate.retryAfterSeconds));
      // The body is not read: close the connection after the answer instead of draining it.
      res.setHeader('connection', 'close');
      next(e);
    }
  };

  r.post('/api/documents', requireRole(storage, 'admin', 'officer'), admit, express.raw({ type: XML_TYPES, limit: MAX_XML_BYTES }), async (req, res) => {
    const actor = req.session!.username;
    if (Buffer.isBuffer(req.body)) {
      const bytes = req.body;
      const mapped = await intake.mapXml(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const message = { sha256: mapped.sha256, bytes: bytes.byteLength };
      if (!mapped.ok) {
        await audit(actor, mapped.sha256, { format: 'xml', ...message, status: 'refused', errorsTotal: mapped.issues.length, errorFields: errorFields(mapped.issues) });
        throw new BondgateError('VALIDATION_FAILED', `the CEB message is not valid (${mapped.issues.length} problem(s)); nothing was stored`, mapped.issues);
      }
      const what = { format: 'xml', ...message, messageType: mapped.messageType, guid: mapped.guid, edition: mapped.edition, documents: mapped.documents.length, ...(mapped.signature ? { signature: mapped.signature.status, signatureReason: mapped.signature.reason } : {}) };
      let outcomes: OrderOutcome[];
      const warnings: IntakeWarning[] = [];
      try {
        outcomes = await customs.ingest(mapped.documents, actor, { xml: bytes, sha256: mapped.sha256, ...(mapped.signature ? { signature: mapped.signature } : {}) }, { warnings: mapped.documentWarnings, onWarnings: (w) => warnings.push(...w) });
      } catch (e) {
        await audit(actor, mapped.sha256, { ...what, status: 'refused', errorsTotal: isBondgateError(e) ? e.fields.length : 1, errorFields: isBondgateError(e) ? errorFields(e.fields) : [] });
        throw e;
      }
      await audit(actor, mapped.sha256, { ...what, status: 'stored', ...decided(outcomes), warningsTotal: warnings.length, warningFields: errorFields(warnings) });
      res.json({ outcomes: outcomes.map(view), warnings, ...(mapped.signature ? { signature: mapped.signature } : {}) });
      return;
    }
    const b = Body.safeParse(req.body);
    if (!b.success) {
      const err = validationError(b.error, 'VALIDATION_FAILED', 'body');
      await audit(actor, 'json', { format: 'json', status: 'refused', errorsTotal: err.fields.length, errorFields: errorFields(err.fields) });
      throw err;
    }
    const what = { format: 'json', documents: b.data.documents.length };
    let outcomes: OrderOutcome[];
    const warnings: IntakeWarning[] = [];
    try {
      outcomes = await customs.ingest(b.data.documents, actor, null, { onWarnings: (w) => warnings.push(...w) });
    } catch (e) {
      await audit(actor, 'json', { ...what, status: 'refused', errorsTotal: isBondgateError(e) ? e.fields.length : 1, errorFields: isBondgateError(e) ? errorFields(e.fields) : [] });
      throw e;
    }
    await audit(actor, 'json', { ...what, status: 'stored', ...decided(outcomes), warningsTotal: warnings.length, warningFields: errorFields(warnings) });
    res.json({ outcomes: outcomes.map(view), warnings });
  });
  /**
   * `GET /api/documents`: stored documents, newest first — `?kind=arrival` (the supplementary kinds; paged by `beforeMs`),
   * `?kind=…&key=…` (one), `?ref=logisticsNo&value=…` (the supplementary kinds naming it: arrival, departure,
   * consolidation, entry detail, summary, tax bill…), `?subject=<documentKey>` (the receipts answering a document).
   */
  r.get('/api/documents', requireRole(storage, 'admin', 'officer'), async (req, res) => {
    const q = DocumentQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    const { kind, key, ref, value, subject, limit, beforeMs } = q.data;
    let found: StoredDocument[];
    if (kind && key) found = [await documentByKey(storage.sql, kind, key)].filter((d): d is StoredDocument => d !== undefined);
    else if (ref && value) found = await documentsByRef(storage.sql, ref, value, limit);
    else if (subject) found = (await storage.receiptsFor([subject])).sort((a, b) => b.receivedMs - a.receivedMs).slice(0, limit);
    else if (kind && LISTED_KINDS.has(kind)) found = await documentsByKind(storage.sql, kind, limit, beforeMs);
    else if (kind) throw new BondgateError('VALIDATION_FAILED', `${kind} documents are found by key, order or subject`, [{ field: 'query.kind', message: `listed by kind: ${[...LISTED_KINDS].join(', ')}` }]);
    else throw new BondgateError('VALIDATION_FAILED', 'name kind (and key), ref and value, or subject', [{ field: 'query', message: 'kind, ref+value or subject is required' }]);
    res.json({ documents: found.map((d) => ({ kind: d.kind, key: d.key, orderNo: d.orderNo, subjectKey: d.subjectKey, receivedMs: d.receivedMs, originalSha256: d.originalSha256, body: d.body })) });
  });
  return r;
}

const DocumentQuery = z.object({
  kind: z.enum(DOCUMENT_KINDS as [DocumentKind, ...DocumentKind[]]).optional(),
  key: z.string().min(1).max(1000).optional(),
  ref: z.enum(REF_FIELDS).optional(),
  value: z.string().min(1).max(200).optional(),
  subject: z.string().min(1).max(1000).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  beforeMs: z.coerce.number().int().min(0).optional(),
});
