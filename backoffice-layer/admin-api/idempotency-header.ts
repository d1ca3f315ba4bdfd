import type { Request } from 'express';
import { DomainError } from '../../shared/index.js';
import { IdempotencyKeySchema } from '../stock/stock.schema.js';

/**
 * The `Idempotency-Key` header of an admin write (IETF draft "The Idempotency-Key HTTP Header Field"),
 * required:
 * 1–200 printable ASCII characters without spaces (a UUID is typical).
 * @throws DomainError `BAD_USER_INPUT` `{ header: 'Idempotency-Key' }` when it is missing or malformed.
 */
export function idempotencyKey(req: Request): string {
  const raw = req.get('idempotency-key');
  if (raw === undefined)
    throw new DomainError(
      'BAD_USER_INPUT',
      'The Idempotency-Key header is required for this write (any unique string, e.g. a UUID)',
      { header: 'Idempotency-Key' },
    );
  const parsed = IdempotencyKeySchema.safeParse(raw);
  if (!parsed.success)
    throw new DomainError(
      'BAD_USER_INPUT',
      'Idempotency-Key must be 1–200 printable characters without spaces',
      { header: 'Idempotency-Key' },
    );
  return parsed.data;
}
