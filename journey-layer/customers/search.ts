import { z } from 'zod';
import { recordAudit } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import type { Database, IdentifierKind } from '../tables.js';
import { resolveCustomerId } from './customer-reads.js';
import { IDENTIFIER_KINDS, IdentifierKindSchema, normalizeIdentifier } from './identifiers.js';

/** Most profiles one staff search answers. */
export const MAX_SEARCH_RESULTS = 50;

/**
 * A staff search: by an identifier (`identifier`, optionally of one `kind`; normalised as every channel's
 * identifiers are, so `06-1234 5678` finds `+31612345678`) or by name (`name`: case-insensitive, anywhere in
 * the display name, at least 2 characters), or `query` — what a search box sends: any identifier it can be,
 * and any name it appears in, identifier matches first — exactly one of the three.
 */
export const CustomerSearchSchema = z
  .strictObject({
    identifier: z
      .string()
      .trim()
      .min(1)
      .max(320)
      .optional()
      .describe('An e-mail address, phone number, loyalty card or app account, as typed'),
    kind: IdentifierKindSchema.optional().describe(
      'Search this kind of identifier only (default: every kind the value can be)',
    ),
    name: z
      .string()
      .trim()
      .min(2)
      .max(200)
      .optional()
      .describe('Part of the display name, case-insensitive (at least 2 characters)'),
    query: z
      .string()
      .trim()
      .min(2)
      .max(320)
      .optional()
      .describe(
        'What a search box sends: matched as every identifier it can be ' +
          'and as part of the name (at least 2 characters)',
      ),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_SEARCH_RESULTS)
      .default(20)
      .describe(`How many profiles to answer (1–${MAX_SEARCH_RESULTS})`),
  })
  .refine((q) => [q.identifier, q.name, q.query].filter((v) => v !== undefined).length === 1, {
    message: 'give one of identifier, name or query',
    path: ['identifier'],
  })
  .refine((q) => q.kind === undefined || q.identifier !== undefined, {
    message: 'kind goes with identifier',
    path: ['kind'],
  });
export type CustomerSearch = z.infer<typeof CustomerSearchSchema>;

/**
 * A profile as a staff search answers it: no more than the staff view of a customer (id and display name;
 * never an identifier, attribute or the value searched for), and how it matched. Staff read the rest where it
 * is audited.
 */
export interface CustomerSearchHit {
  id: string;
  displayName: string | null;
  /** The identifier kind the value matched, or NAME. */
  matchedBy: IdentifierKind | 'NAME';
}

/** Who searched, for the audit trail. */
export interface SearchActor {
  /** The audit trail's actor, e.g. `admin:<key name>`. */
  actor: string;
  details?: Record<string, unknown>;
}

/**
 * Finds live profiles (merged ones followed to their survivor, erased ones never) for staff, at most `limit`,
 * and puts the search on record before answering: one audit row `customer.search` (how it searched and how
 * many it found — never the value searched for) and one `customer.search-result` per profile found (subject
 * `customer:<id>`), so "who looked at this customer" covers searches too. If the trail cannot be written,
 * nothing is answered.
 * @throws BAD_USER_INPUT when `kind` is given and the identifier is not one (the normaliser's message), or
 *   when it can be no kind at all.
 */
export async function searchCustomers(
  deps: { db: Database; clock: { now(): Date } },
  query: CustomerSearch,
  by: SearchActor,
): Promise<{ customers: CustomerSearchHit[] }> {
  const hits =
    query.identifier !== undefined
      ? await byIdentifier(deps.db, query.identifier, query.kind, query.limit)
      : query.name !== undefined
        ? await byName(deps.db, query.name, query.limit)
        : await byAnything(deps.db, query.query!, query.limit);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (tx) => {
    await recordAudit(tx, now, {
      actor: by.actor,
      action: 'customer.search',
      details: {
        ...by.details,
        by: query.identifier !== undefined ? 'identifier' : query.name !== undefined ? 'name' : 'query',
        kind: query.kind ?? null,
        results: hits.length,
      },
    });
    for (const hit of hits)
      await recordAudit(tx, now, {
        actor: by.actor,
        action: 'customer.search-result',
        subject: `customer:${hit.id}`,
        details: { ...by.details, matchedBy: hit.matchedBy },
      });
  });
  return { customers: hits };
}

async function byIdentifier(
  db: Database,
  raw: string,
  kind: IdentifierKind | undefined,
  limit: number,
): Promise<CustomerSearchHit[]> {
  const candidates: Array<{ kind: IdentifierKind; value: string }> = [];
  for (const k of kind ? [kind] : IDENTIFIER_KINDS) {
    try {
      candidates.push({ kind: k, value: normalizeIdentifier(k, raw) });
    } catch (e) {
      if (kind) throw e; // the one kind asked for: say why the value is not one
    }
  }
  if (candidates.length === 0)
    throw new DomainError(
      'BAD_USER_INPUT',
      'The identifier is no e-mail address, phone number, loyalty card or app account',
      { issues: [{ path: 'query.identifier', message: 'not an identifier' }] },
    );
  const rows = await db
    .selectFrom('customerIdentifiers')
    .select(['kind', 'customerId'])
    .where((eb) => eb.or(candidates.map((c) => eb.and([eb('kind', '=', c.kind), eb('value', '=', c.value)]))))
    .execute();
  const hits = new Map<string, CustomerSearchHit>();
  for (const row of rows) {
    const id = await resolveCustomerId(db, row.customerId).catch(() => null);
    if (!id || hits.has(id)) continue;
    const live = await db
      .selectFrom('customers')
      .select('displayName')
      .where('id', '=', id)
      .executeTakeFirst();
    if (live) hits.set(id, { id, displayName: live.displayName, matchedBy: row.kind });
  }
  return [...hits.values()].slice(0, limit);
}

/**
 * A search box's text: the profiles it identifies (when it can be an identifier at all), then those it names.
 */
async function byAnything(db: Database, text: string, limit: number): Promise<CustomerSearchHit[]> {
  const hits = new Map<string, CustomerSearchHit>();
  const identified = await byIdentifier(db, text, undefined, limit).catch((e: unknown) => {
    if (e instanceof DomainError && e.code === 'BAD_USER_INPUT') return [];
    throw e;
  });
  for (const hit of [...identified, ...(await byName(db, text, limit))])
    if (!hits.has(hit.id)) hits.set(hit.id, hit);
  return [...hits.values()].slice(0, limit);
}

async function byName(db: Database, name: string, limit: number): Promise<CustomerSearchHit[]> {
  const like = `%${name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectFrom('customers')
    .select(['id', 'displayName'])
    .where('status', '=', 'ACTIVE')
    .where('displayName', 'ilike', like)
    .orderBy('displayName')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, displayName: r.displayName, matchedBy: 'NAME' as const }));
}
