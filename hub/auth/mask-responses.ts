import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { maskForViewer } from '../../shared/mask.ts';

/**
 * The output boundary for personal data: every JSON response goes through maskForViewer with the signed-in user's
 * role (read when the response is sent, after requireRole has resolved the session). Routes need not remember to
 * mask; the one that must show configuration as entered (risk rules' watch lists, edited by admins) says so with
 * `unmasked`. Routes that stream or write text themselves (SSE, CSV) carry no personal data (tested over every
 * route in test/pii-masking.test.ts).
 */
export function maskResponses(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => json(res.locals.unmasked === true ? body : maskForViewer(req.session?.role, body));
    next();
  };
}

/** For routes whose body is configuration the viewer edits as entered (and may only read if allowed to edit). */
export const unmasked: RequestHandler = (_req, res, next) => {
  res.locals.unmasked = true;
  next();
};
