import { sha256 } from '../../shared/index.js';
import type { Database } from '../tables.js';

/**
 * Whether `key` is the key of a registered channel client (revoked ones included): such a value must never
 * become an admin key. Passed to the backoffice's `bootstrapAdminKey`, which cannot read this layer's
 * clients.
 */
export async function isChannelClientKey(db: Database, key: string): Promise<boolean> {
  const client = await db
    .selectFrom('channelClients')
    .select('id')
    .where('keyHash', '=', sha256(key))
    .executeTakeFirst();
  return client !== undefined;
}
