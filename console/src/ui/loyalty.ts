import { useQuery } from '@tanstack/react-query';
import { rest } from '../api/client';
import { retryUnlessRefused } from './query';

/** A loyalty tier of the programme in force (`GET /admin/v1/loyalty/tiers`). */
export interface ProgramTier {
  id: string;
  name: string;
  /** Points earned in the rolling window that reach this tier. */
  threshold: number;
}

/** The programme's tiers, in rising threshold. @throws ApiError */
export async function loyaltyTiers(): Promise<ProgramTier[]> {
  return (await rest<{ program: { tiers: ProgramTier[] } }>('GET', '/loyalty/tiers')).program.tiers;
}

/** The programme's tiers for display, shared by every page (empty until read, or when they cannot be). */
export function useLoyaltyTiers(): ProgramTier[] {
  const tiers = useQuery({
    queryKey: ['loyalty', 'tiers'],
    queryFn: loyaltyTiers,
    staleTime: 60_000,
    retry: retryUnlessRefused,
  });
  return tiers.data ?? [];
}

/** A tier's name from the programme (`GOLD` → "Gold"), or its id when unknown; "—" for none. */
export function tierName(tiers: ProgramTier[], id: string | null | undefined): string {
  if (!id) return '—';
  return tiers.find((t) => t.id === id)?.name ?? id;
}
