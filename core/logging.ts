/**
 * pino JSON-lines loggers. Redaction is a second line of defence: no code path logs
 * patient values, but any field named like a secret or an identifier is censored anyway.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'key', 'keyPem', 'secretKey', 'password', 'token',
  'mrn', 'dob', 'ssn', 'phone', 'email', 'zip', 'value', 'values', 'row',
  '*.key', '*.keyPem', '*.secretKey', '*.password', '*.token',
  '*.mrn', '*.dob', '*.ssn', '*.phone', '*.email', '*.zip', '*.value', '*.values', '*.row',
];

export function createLogger(component: string, options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.COHORT_LOG_LEVEL ?? 'info';
  const dest = options.destination ? pino.destination({ dest: options.destination, sync: true, mkdir: true }) : pino.destination(2);
  return pino({ level, base: { component }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
}

export type { Logger };
