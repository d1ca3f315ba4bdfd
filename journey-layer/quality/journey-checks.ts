import { sql } from 'kysely';
import {
  qualityScore,
  runQualityCheck,
  type QualityItem,
  type QualityCheckResult,
  type QualityCheckSpec,
} from '../../backoffice-layer/index.js';
import { normalizeIdentifier } from '../customers/identifiers.js';
import type { Executor, IdentifierKind } from '../tables.js';

const ACCENTED = 'àáâãäåāăąçćčďèéêëēėęěìíîïīįıñńňòóôõöøōőùúûüūůűųýÿžźżšśşřŕľĺłţťğ';
const PLAIN = 'aaaaaaaaacccdeeeeeeeeiiiiiiinnnoooooooouuuuuuuuyyzzzsssrrllltg';

/** SQL: a display name folded for comparison (trimmed, lower-case, accents dropped). */
function foldName(column: string) {
  return sql`translate(lower(btrim(${sql.ref(column)})), ${ACCENTED}, ${PLAIN})`;
}

/**
 * `duplicate-profile-candidates`: pairs of live (ACTIVE) profiles with the same display name (case- and
 * accent-insensitive) and either the same `homeStore` attribute or e-mail addresses equal once dots and a
 * `+tag` are removed from the local part. Items: `{ customerId, otherCustomerId }` (the lower id first) and
 * why — never the e-mail itself. Population: live profiles with a name; the score counts each profile in a
 * pair once.
 */
export function duplicateProfileCandidates(): QualityCheckSpec {
  const failing = sql`
    WITH live AS (
      SELECT c.id, ${foldName('c.display_name')} AS name FROM customers c
      WHERE c.status = 'ACTIVE' AND c.display_name IS NOT NULL),
    stores AS (
      SELECT customer_id, value #>> '{}' AS store FROM customer_attributes WHERE name = 'homeStore'),
    mails AS (
      SELECT customer_id,
        replace(split_part(split_part(value, '@', 1), '+', 1), '.', '') || '@' || split_part(value, '@', 2)
          AS mail
      FROM customer_identifiers WHERE kind = 'EMAIL')
    SELECT jsonb_build_object('customerId', a.id, 'otherCustomerId', b.id) AS keys,
      'same name and ' || concat_ws(' and ',
        CASE WHEN same.store THEN 'home store' END,
        CASE WHEN same.mail THEN 'e-mail (ignoring dots and +tags)' END) AS problem
    FROM live a JOIN live b ON a.name = b.name AND a.id < b.id
    CROSS JOIN LATERAL (SELECT
      EXISTS (SELECT 1 FROM stores sa JOIN stores sb ON sa.store = sb.store
              WHERE sa.customer_id = a.id AND sb.customer_id = b.id) AS store,
      EXISTS (SELECT 1 FROM mails ma JOIN mails mb ON ma.mail = mb.mail
              WHERE ma.customer_id = a.id AND mb.customer_id = b.id) AS mail) same
    WHERE same.store OR same.mail`;
  return {
    id: 'duplicate-profile-candidates',
    title: 'Profiles that look like the same person',
    population: sql`SELECT count(*) FROM customers WHERE status = 'ACTIVE' AND display_name IS NOT NULL`,
    failing,
    involved: sql`SELECT count(*) FROM (SELECT keys->>'customerId' FROM failing
      UNION SELECT keys->>'otherCustomerId' FROM failing) involved`,
  };
}

/**
 * `conflicting-promotions`: pairs of ACTIVE promotions whose windows (`validFrom`/`validTo`) overlap and
 * have not ended, where at least one is EXCLUSIVE or EXCLUSIVE_ALL, and whose line conditions can touch the
 * same SKU: a shared entry of their `sku` conditions or of their `category` conditions, or one of them has
 * neither (it touches every line). Which one wins then depends on priority and order (RULES.md, stacking).
 * Items: `{ promotionId, otherPromotionId }` (the lower id first). Population: ACTIVE promotions not ended;
 * the score counts each promotion in a pair once.
 */
export function conflictingPromotions(now: Date): QualityCheckSpec {
  const lineValues = (kind: string, field: string) => sql`(
    SELECT coalesce(array_agg(v), '{}') FROM jsonb_array_elements(coalesce(p.definition->'conditions', '[]'))
      c, jsonb_array_elements_text(c->${field}) v WHERE c->>'kind' = ${kind})`;
  const failing = sql`
    WITH act AS (
      SELECT p.id, coalesce(p.definition->>'stacking', 'STACKABLE') AS stacking,
        tstzrange(p.valid_from, p.valid_to) AS win,
        ${lineValues('sku', 'skus')} AS skus,
        ${lineValues('category', 'categories')} AS cats
      FROM promotions p
      WHERE p.status = 'ACTIVE' AND (p.valid_to IS NULL OR p.valid_to > ${now}))
    SELECT jsonb_build_object('promotionId', a.id, 'otherPromotionId', b.id) AS keys,
      'windows overlap on ' || CASE
        WHEN a.skus && b.skus THEN 'the same SKUs'
        WHEN a.cats && b.cats THEN 'the same categories'
        ELSE 'every SKU' END
      || ' and ' || CASE WHEN a.stacking = 'STACKABLE' THEN b.id ELSE a.id END
      || ' is ' || CASE WHEN a.stacking = 'STACKABLE' THEN b.stacking ELSE a.stacking END AS problem
    FROM act a JOIN act b ON a.id < b.id
    WHERE (a.stacking <> 'STACKABLE' OR b.stacking <> 'STACKABLE')
      AND a.win && b.win
      AND (a.skus && b.skus OR a.cats && b.cats
        OR (cardinality(a.skus) = 0 AND cardinality(a.cats) = 0)
        OR (cardinality(b.skus) = 0 AND cardinality(b.cats) = 0))`;
  return {
    id: 'conflicting-promotions',
    title: 'Overlapping promotions with conflicting stacking',
    population: sql`SELECT count(*) FROM promotions
      WHERE status = 'ACTIVE' AND (valid_to IS NULL OR valid_to > ${now})`,
    failing,
    involved: sql`SELECT count(*) FROM (SELECT keys->>'promotionId' FROM failing
      UNION SELECT keys->>'otherPromotionId' FROM failing) involved`,
  };
}

/** Identifiers read per statement by `invalid-identifier`. */
const IDENTIFIER_PAGE = 2000;

/**
 * `invalid-identifier`: stored identifiers that no longer pass `normalizeIdentifier` (it throws, or answers
 * another spelling than the stored one — such a value can no longer be found by lookup). The rule lives in
 * TypeScript, not SQL, so this check reads the identifiers in pages of 2000 in key order (kind, value) and
 * keeps only the counts and the first `limit` failures: memory stays bounded however many there are, at
 * the cost of one statement per page. Items: `{ customerId, kind }` and why — never the value itself.
 */
export async function invalidIdentifiers(db: Executor, limit: number): Promise<QualityCheckResult> {
  let population = 0;
  let count = 0;
  const items: QualityItem[] = [];
  let after: { kind: IdentifierKind; value: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('customerIdentifiers')
      .select(['kind', 'value', 'customerId'])
      .orderBy('kind')
      .orderBy('value')
      .limit(IDENTIFIER_PAGE);
    if (after) {
      const a: { kind: IdentifierKind; value: string } = after;
      q = q.where((eb) =>
        eb.or([eb('kind', '>', a.kind), eb.and([eb('kind', '=', a.kind), eb('value', '>', a.value)])]),
      );
    }
    const rows = await q.execute();
    for (const r of rows) {
      population++;
      const problem = identifierProblem(r.kind, r.value);
      if (problem === null) continue;
      count++;
      if (items.length < limit) items.push({ keys: { customerId: r.customerId, kind: r.kind }, problem });
    }
    if (rows.length < IDENTIFIER_PAGE) break;
    after = rows[rows.length - 1]!;
  }
  return {
    id: 'invalid-identifier',
    title: 'Stored identifiers that are no longer valid',
    count,
    score: qualityScore(population, count),
    population,
    items,
  };
}

/**
 * Why a stored identifier fails `normalizeIdentifier` (its message, or that it is not stored in its
 * normalised spelling); null: it passes.
 */
function identifierProblem(kind: IdentifierKind, value: string): string | null {
  try {
    return normalizeIdentifier(kind, value) === value ? null : 'not stored in its normalised spelling';
  } catch (e) {
    return e instanceof Error ? e.message : 'invalid';
  }
}

/**
 * Runs the journey's data-quality checks, in this order: duplicate-profile-candidates, invalid-identifier,
 * conflicting-promotions. At most `limit` items per check.
 */
export async function journeyQualityChecks(
  db: Executor,
  opts: { now: Date; limit: number },
): Promise<QualityCheckResult[]> {
  return [
    await runQualityCheck(db, duplicateProfileCandidates(), opts.limit),
    await invalidIdentifiers(db, opts.limit),
    await runQualityCheck(db, conflictingPromotions(opts.now), opts.limit),
  ];
}
