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

/** Most tokens whose signature a node remembers having checked (the oldest is forgotten first). */
const GENUINE_TOKENS = 10_000;

/**
 * Tokens whose signature was found genuine, per signing key (the key of a database never changes): a
 * signature is a function of the key and the token's body alone, so a token checked once needs no second
 * HMAC; its expiry and client are still checked on every use. (The HMAC was most of what a member's offer
 * from the answer cache cost the node beyond an anonymous one.)
 */
const genuine = new WeakMap<Database, Map<string, TokenClaims>>();

/** How many tokens this node remembers as genuine for `db`'s signing key (at most 10,000). */
export function rememberedTokenCount(db: Database): number {
  return genuine.get(db)?.size ?? 0;
}

/** What a token says: whose it is, the client it was issued to, when it expires (epoch seconds). */
interface TokenClaims {
  customerId: string;
  clientId: string;
  expires: number;
}

/**
 * The customer a token names and when it expires, if it is genuine, unexpired and was issued to this client;
 * else UNAUTHENTICATED. A token's signature is checked once per node (`genuine`).
 */
export async function verifyCustomerToken(
  db: Database,
  token: string,
  clientId: string,
  now: Date,
): Promise<{ customerId: string; expiresAt: Date }> {
  const bad = () =>
    new DomainError(
      'UNAUTHENTICATED',
      'The customer token is invalid or expired; sign the customer in again',
      {},
    );
  let claims = genuine.get(db)?.get(token);
  if (!claims) {
    const m = TOKEN_FORM.exec(token);
    if (!m) throw bad();
    const expected = Buffer.from(sign(await signingKey(db, now), m[1]!));
    const given = Buffer.from(m[5]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
    claims = { customerId: m[2]!, clientId: m[3]!, expires: Number(m[4]) };
    let known = genuine.get(db);
    if (!known) genuine.set(db, (known = new Map()));
    if (known.size >= GENUINE_TOKENS) known.delete(known.keys().next().value!);
    known.set(token, claims);
  }
  if (claims.clientId !== clientId || claims.expires * 1000 <= now.getTime()) throw bad();
  return { customerId: claims.customerId, expiresAt: new Date(claims.expires * 1000) };
}
