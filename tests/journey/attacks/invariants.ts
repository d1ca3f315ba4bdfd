import { expect } from '@jest/globals';
import { sql } from 'kysely';
import { DomainError } from '../../../shared/index.js';
import type { BackofficeTestContext } from '../../support/backoffice.js';
import { everyRowAsText } from '../customers/fixtures.js';

/*
 * What must hold after every attack: each loyalty balance is its ledger's sum, the journey's per-profile rows
 * belong to live profiles, and an erased person's ids are nowhere.
 */

/** The journey's tables keyed by a profile (customer_id). */
export const JOURNEY_TABLES = [
  'customer_interactions',
  'profile_changes',
  'contact_preferences',
  'segment_memberships',
  'customer_data_use',
] as const;

/** A settled call as a code: OK, a DomainError's code, or THROWN with the raw error (always a defect). */
export const codeOf = (r: PromiseSettledResult<unknown>): string => {
  if (r.status === 'fulfilled') return 'OK';
  return r.reason instanceof DomainError ? r.reason.code : `THROWN ${String(r.reason)}`;
};

/** The code a call ends with (OK when it returns). */
export const outcome = async (p: Promise<unknown>): Promise<string> =>
  codeOf((await Promise.allSettled([p]))[0]!);

/** Every loyalty account whose balance differs from its ledger's sum (none expected). */
export async function balancesOffLedger(ctx: BackofficeTestContext): Promise<unknown[]> {
  const r = await sql<{ customer_id: string; balance: number; ledger: string | null }>`
    SELECT a.customer_id, a.balance, (SELECT sum(points) FROM loyalty_ledger l
                                      WHERE l.customer_id = a.customer_id) AS ledger
    FROM loyalty_accounts a`.execute(ctx.deps.db);
  return r.rows.filter((row) => row.balance !== Number(row.ledger ?? 0));
}

/**
 * Rows of the journey's tables (and loyalty rows) under a profile that is not ACTIVE: a merged-away profile
 * keeps nothing of its own (a merge moves it all to the survivor), an erased one nothing at all.
 */
export async function rowsOfDeadProfiles(ctx: BackofficeTestContext): Promise<string[]> {
  const out: string[] = [];
  for (const table of [...JOURNEY_TABLES, 'loyalty_accounts', 'loyalty_ledger', 'consents']) {
    const r = await sql<{ customer_id: string; status: string | null }>`
      SELECT t.customer_id::text AS customer_id, c.status FROM ${sql.raw(table)} t
      LEFT JOIN customers c ON c.id = t.customer_id
      WHERE c.id IS NULL OR c.status = 'MERGED'`.execute(ctx.deps.db);
    // Pseudonymised ledgers and accounts live under the ERASED pseudonym row: those are intended.
    out.push(...r.rows.map((row) => `${table}: ${row.customer_id} (${row.status ?? 'missing'})`));
  }
  return out;
}

/** The lines of the dump that name `needle` (to show where an erased person was left). */
export async function tracesOf(ctx: BackofficeTestContext, needle: string): Promise<string[]> {
  return (await everyRowAsText(ctx)).split('\n').filter((l) => l.includes(needle));
}

/** The invariants every attack ends with: balances are ledger sums, no live rows under dead profiles. */
export async function expectInvariants(ctx: BackofficeTestContext): Promise<void> {
  expect(await balancesOffLedger(ctx)).toEqual([]);
  expect(await rowsOfDeadProfiles(ctx)).toEqual([]);
}
