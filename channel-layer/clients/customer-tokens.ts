import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError, UUID_FORM } from '../../shared/index.js';
import type { Database } from '../tables.js';

/** How long a customer token lives. */
export const CUSTOMER_TOKEN_TTL_SECONDS = 900;

// The key never changes once made: each node reads it once.
const keys = new WeakMap<Database, Buffer>();

async function signingKey(db: Database, now: Date): Promise<Buffer> {
  const known = keys.get(db);
  if (known) return known;
  await db
    .insertInto('hubSecrets')
    .values({ name: 'customer-token-key', value: randomBytes(32).toString('base64url'), createdAt: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('hubSecrets')
    .select('value')
    .where('name', '=', 'customer-token-key')
    .executeTakeFirstOrThrow();
  const key = Buffer.from(row.value, 'base64url');
  keys.set(db, key);
  return key;
}

const sign = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest('base64url');

/**
 * A short-lived token that lets a web or app client act for one customer (the one its app signed in), and
 * only for her: `v1.<customer>.<client>.<expires>.<hmac>`, signed with a key the hub generated and keeps in
 * PostgreSQL.
 */
export async function issueCustomerToken(
  db: Database,
  customerId: string,
  clientId: string,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(now.getTime() + CUSTOMER_TOKEN_TTL_SECONDS * 1000);
  const body = `v1.${customerId}.${clientId}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return { token: `${body}.${sign(await signingKey(db, now), body)}`, expiresAt };
}

/** `v1.<customer id>.<client id>.<expiry, epoch seconds>.<signature>`, as `issueCustomerToken` writes it. */
const TOKEN_FORM = new RegExp(`^(v1\\.(${UUID_FORM})\\.(${UUID_FORM})\\.(\\d{1,12}))\\.([A-Za-z0-9_-]{43})$`);

/**
 * The customer a token names and when it expires, if it is genuine, unexpired and was issued to this client;
 * else UNAUTHENTICATED.
 */
export async function verifyCustomerToken(
  db: Database,
  token: string,
  clientId: string,
  now: Date,
): Promise<{ customerId: string; expiresAt: Date }> {
  const m = TOKEN_FORM.exec(token);
  const bad = () =>
    new DomainError(
      'UNAUTHENTICATED',
      'The customer token is invalid or expired; sign the customer in again',
      {},
    );
  if (!m) throw bad();
  const expected = Buffer.from(sign(await signingKey(db, now), m[1]!));
  const given = Buffer.from(m[5]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
  if (m[3] !== clientId || Number(m[4]) * 1000 <= now.getTime()) throw bad();
  return { customerId: m[2]!, expiresAt: new Date(Number(m[4]) * 1000) };
}
