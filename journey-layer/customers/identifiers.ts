import { z } from 'zod';
import { DomainError } from '../../shared/index.js';
import type { IdentifierKind } from '../tables.js';

export const IDENTIFIER_KINDS = [
  'EMAIL',
  'PHONE',
  'LOYALTY_CARD',
  'APP_ACCOUNT',
] as const satisfies readonly IdentifierKind[];
export const IdentifierKindSchema = z.enum(IDENTIFIER_KINDS);

/**
 * Country calling code assumed for national phone numbers (a leading single 0), e.g. 06 12345678 → +31 6
 * 12345678.
 */
export const DEFAULT_COUNTRY_CODE = '31';

const EmailSchema = z.email();

/**
 * The one spelling of an identifier under which it is stored and looked up, so a customer is found whichever
 * way a channel typed it: e-mail trimmed and lower-cased; phone in E.164 (`+31612345678`; spaces, dashes,
 * dots and brackets and a trunk `(0)` dropped; `00` → `+`; a national leading `0` gets the default country
 * code); loyalty cards upper-cased without spaces or dashes; app accounts trimmed. Throws BAD_USER_INPUT with
 * a clear message otherwise.
 * @example normalizeIdentifier('PHONE', '06-1234 5678') // '+31612345678'
 */
export function normalizeIdentifier(kind: IdentifierKind, raw: string): string {
  const value = raw.trim();
  const bad = (why: string): never => {
    throw new DomainError('BAD_USER_INPUT', `Invalid ${kind.toLowerCase().replace('_', ' ')}: ${why}`, {
      kind,
    });
  };
  if (value.length === 0 || value.length > 320) bad('must be 1–320 characters');
  switch (kind) {
    case 'EMAIL': {
      const lower = value.toLowerCase();
      if (!EmailSchema.safeParse(lower).success) bad('not an e-mail address');
      return lower;
    }
    case 'PHONE': {
      let digits = value.replace(/\(0\)/g, '').replace(/[\s\-.()/]/g, '');
      if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
      else if (/^0[1-9]/.test(digits)) digits = `+${DEFAULT_COUNTRY_CODE}${digits.slice(1)}`;
      if (!/^\+[1-9]\d{6,14}$/.test(digits))
        bad('not a phone number (use international format, e.g. +31612345678)');
      return digits;
    }
    case 'LOYALTY_CARD': {
      const card = value.replace(/[\s-]/g, '').toUpperCase();
      if (!/^[A-Z0-9]{6,32}$/.test(card)) bad('6–32 letters or digits');
      return card;
    }
    case 'APP_ACCOUNT': {
      if (value.length > 128 || /[\u0000-\u001f]/.test(value)) bad('1–128 printable characters');
      return value;
    }
  }
}
