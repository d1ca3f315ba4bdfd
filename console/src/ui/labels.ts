import type { TFunction } from 'i18next';

/**
 * Staff-facing names for the hub's codes, in the console's language (common namespace): pass any page's `t`.
 * A code the console has no words for is shown as it is.
 */

/** Where a change came from (`WEB`, `STORE`, `CALL_CENTER`, `ADMIN`, `IMPORT`, `SYSTEM`…) in words. */
export function channelLabel(t: TFunction, code: string | null | undefined): string {
  if (!code) return '—';
  return t(`common:channel.${code}`, { defaultValue: code });
}

/** Why data was used or consented to (`SERVICE`, `PROFILING`, `EMAIL_MARKETING`…) → "Customer service"… */
export function purposeLabel(t: TFunction, code: string | null | undefined): string {
  if (!code) return '—';
  return t(`common:purpose.${code}`, { defaultValue: code });
}
