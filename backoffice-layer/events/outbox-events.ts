import { sql } from 'kysely';
import { UuidSchema, type EventEnvelope } from '../../shared/index.js';
import type { Database } from '../tables.js';

/** An outbox row as the relay and the worker read it. */
export interface OutboxRow {
  id: string;
  revision: number;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** An outbox row as the event envelope the relay publishes (and consumers receive). */
export function toEnvelope(r: OutboxRow): EventEnvelope {
  return {
    id: r.id,
    type: r.type,
    aggregateType: r.aggregateType,
    aggregateId: r.aggregateId,
    revision: r.revision,
    occurredAt: r.createdAt.toISOString(),
    payload: r.payload,
  };
}

/**
 * The envelopes of these events, read from the outbox (the source of truth); events no longer there are
 * absent.
 */
export async function loadEnvelopes(
  db: Database,
  ids: readonly string[],
): Promise<Map<string, EventEnvelope>> {
  const valid = ids.filter((id) => UuidSchema.safeParse(id).success);
  if (valid.length === 0) return new Map();
  const rows = await sql<OutboxRow>`
    SELECT id, revision, type, aggregate_type, aggregate_id, payload, created_at FROM outbox
    WHERE id = ANY(${valid}::uuid[])`.execute(db);
  return new Map(rows.rows.map((r) => [r.id, toEnvelope(r)]));
}
