import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import type { ProgramTier } from '../../ui/loyalty';
import type { CustomerProfile } from './api';

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
