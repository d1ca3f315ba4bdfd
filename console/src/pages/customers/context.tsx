import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type CSSProperties } from 'react';
import type { CustomerProfile, ProgramTier } from './api';

/** What every section of one customer's view shares. */
export interface CustomerContextValue {
  profile: CustomerProfile;
  /** The programme's tiers (empty when they could not be read: tier ids are shown instead). */
  tiers: ProgramTier[];
  /** Whether the key may act on customers (`console:customers:write`). */
  canWrite: boolean;
  /** After a change: reread everything of her, and announce `message`. */
  changed(message: string): void;
  /**
   * Merges done or undone in this view, until her timeline (written from the hub's events, a moment later)
   * shows them: `merged` is awaited there, `undone` no longer offered.
   */
  merges: { merged: string | null; undone: string[] };
  /** Notes a merge done (`merged`) or undone (`undone`) here. */
  noteMerge(change: { merged: string } | { undone: string }): void;
}

export const CustomerContext = createContext<CustomerContextValue | null>(null);

/** The customer's view's shared state. Only inside CustomerView. */
export function useCustomer(): CustomerContextValue {
  const c = useContext(CustomerContext);
  if (!c) throw new Error('useCustomer outside a customer view');
  return c;
}

/** Rereads everything of customer `id` (her profile and every tab). */
export function useRefreshCustomer(): (id: string) => Promise<void> {
  const client = useQueryClient();
  return (id) => client.invalidateQueries({ queryKey: ['customer', id] });
}

/** A tier's name from the programme, or its id. */
export function tierName(tiers: ProgramTier[], id: string | null | undefined): string {
  if (!id) return '—';
  return tiers.find((t) => t.id === id)?.name ?? id;
}

/**
 * Field errors in a red dark enough for WCAG AA contrast (Mantine's default red is not) — set on the page
 * and on its dialogs (rendered outside the page). A console-wide theme setting would make this unnecessary.
 */
export const READABLE_ERRORS = { '--mantine-color-error': 'var(--mantine-color-red-9)' } as CSSProperties;
