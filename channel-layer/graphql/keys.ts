import { z } from 'zod';
import { IdempotencyKeySchema } from '../../backoffice-layer/index.js';
import { parseInput } from '../../shared/index.js';
import type { GraphqlContext } from './context.js';

const KeyArgument = z.object({ idempotencyKey: IdempotencyKeySchema });

/**
 * A client's idempotency key, checked (BAD_USER_INPUT naming `idempotencyKey` otherwise); callers prefix it
 * with the client's id (stored keys hold up to 300 characters for that).
 */
export function checkedKey(k: string): string {
  return parseInput(KeyArgument, { idempotencyKey: k }, 'input').idempotencyKey;
}

/** The idempotency key of a client's request, stored under the client (as every channel write's). */
export const clientKey = (ctx: GraphqlContext, key: string): string => `${ctx.client.id}:${key}`;
