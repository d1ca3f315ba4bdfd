import { rest } from '../../api/client';
import type { Money } from '../../ui/format';

/** A channel the figures are split by: the channel kinds, and ADMIN for the admin API or no known channel. */
export type KpiChannel = 'WEB' | 'APP' | 'STORE' | 'CALL_CENTER' | 'CONSOLE' | 'ADMIN';

/**
 * The sales figures of one channel (or all) in one currency, as `GET /admin/v1/kpis` answers them: money in
 * minor units, `clickAndCollectShare` in basis points (null without online orders).
 */
export interface SalesFigures {
  currency: string;
  revenue: Money;
  orders: number;
  averageBasket: Money | null;
  onlineOrders: number;
  clickAndCollectOrders: number;
  clickAndCollectShare: number | null;
  returns: { count: number; refunded: Money };
}

/** One commit → visible measurement: when the revision became visible (ISO 8601), the revision, ms. */
export interface PropagationSample {
  at: string;
  revision: number;
  ms: number;
}

/** The last periodic read-model check: `ok`, when, how many places differ and the first few. */
export interface ConsistencyVerdict {
  ok: boolean;
  checkedAt: string;
  differences: number;
  examples?: string[];
}

/**
 * `GET /admin/v1/kpis?from=&to=`: the window [from, to) (UTC instants), sales per channel and per currency,
 * loyalty members served and the hub's health. The measured propagation (`samples`, `p50Ms`, `p99Ms`) and
 * `consistency` are optional here: a hub that does not measure them leaves them out.
 */
export interface Kpis {
  from: string;
  to: string;
  sales: {
    byChannel: Array<SalesFigures & { channel: KpiChannel }>;
    total: SalesFigures[];
  };
  loyaltyMembersServed: { total: number; byChannel: Array<{ channel: KpiChannel; members: number }> };
  health: {
    revision: number;
    outboxBacklog: { unpublished: number; undelivered: number };
    propagation: {
      readModelRevision: number | null;
      lagRevisions: number | null;
      samples?: PropagationSample[];
      p50Ms?: number | null;
      p99Ms?: number | null;
    };
    consistency?: ConsistencyVerdict | null;
  };
}

const DAY_MS = 86_400_000;

/** A calendar day `YYYY-MM-DD` as its UTC window [00:00, next 00:00) in ISO 8601. */
export function dayWindow(day: string): { from: string; to: string } {
  const from = new Date(`${day}T00:00:00.000Z`);
  return { from: from.toISOString(), to: new Date(from.getTime() + DAY_MS).toISOString() };
}

/** The UTC day `YYYY-MM-DD` an instant falls on. */
export function utcDay(iso: string): string {
  return iso.slice(0, 10);
}

/** The UTC day `days` after (or before, negative) `day`. */
export function shiftDay(day: string, days: number): string {
  return new Date(new Date(`${day}T00:00:00.000Z`).getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whether `value` is a real calendar day `YYYY-MM-DD`. */
export function isDay(value: string | null): value is string {
  return (
    value !== null &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
  );
}

/** Reads the figures of `day` (UTC), or of the hub's today (by its clock) when `day` is null. */
export function fetchKpis(day: string | null): Promise<Kpis> {
  if (day === null) return rest<Kpis>('GET', '/kpis');
  const w = dayWindow(day);
  return rest<Kpis>('GET', `/kpis?${new URLSearchParams(w).toString()}`);
}
