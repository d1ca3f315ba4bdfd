import { sql } from 'kysely';
import { KPI_CHANNELS, type KpiChannel } from '../../backoffice-layer/index.js';
import type { Executor } from '../tables.js';

/**
 * Loyalty members served: of `served` (distinct channel and customer reference pairs, as
 * `customersServed` answers them), how many customers hold a loyalty account, per channel and in total (a
 * member served through two channels counts once in the total). Counted in one statement in PostgreSQL; a
 * reference that names no customer id counts as no member. Channels without a member are left out; the
 * others come in the order of KPI_CHANNELS.
 */
export async function loyaltyMembersServed(
  db: Executor,
  served: ReadonlyArray<{ channel: KpiChannel; customerRef: string }>,
): Promise<{ total: number; byChannel: Array<{ channel: KpiChannel; members: number }> }> {
  if (served.length === 0) return { total: 0, byChannel: [] };
  const r = await sql<{ channel: KpiChannel | null; members: number }>`
    SELECT CASE WHEN grouping(s.channel) = 1 THEN NULL ELSE s.channel END AS channel,
      count(DISTINCT a.customer_id)::int AS members
    FROM unnest(${served.map((s) => s.channel)}::text[], ${served.map((s) => s.customerRef)}::text[])
      AS s(channel, ref)
    JOIN loyalty_accounts a ON a.customer_id::text = s.ref
    GROUP BY GROUPING SETS ((s.channel), ())`.execute(db);
  return {
    total: r.rows.find((x) => x.channel === null)?.members ?? 0,
    byChannel: r.rows
      .flatMap((x) => (x.channel === null ? [] : [{ channel: x.channel, members: x.members }]))
      .sort((a, b) => KPI_CHANNELS.indexOf(a.channel) - KPI_CHANNELS.indexOf(b.channel)),
  };
}
