import pino, { type Logger } from 'pino';

/**
 * Structured logs (pino). Secrets and personal data are redacted at the logger, so no call site can leak
 * a buyer's ID number or a gateway password by accident.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'privateKeyPem', '*.privateKeyPem', '*.buyerIdNumber', '*.payerIdNumber', '*.buyerTelephone', '*.consigneeTelephone', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
