import { isoOfLocalInput, localInputOf } from '../../ui/datetime';
import { moneyInputText, parseMoneyInput } from '../../ui/money-input';
import type { KindData } from './api';

/**
 * The condition and action kinds the hub's promotion engine knows (journey-layer/promotions/conditions and
 * actions), each as the form fields that edit it. A field's `name` is the member of the kind's JSON, so a
 * field error at `rule.conditions.<i>.<name>` or `rule.action.<name>` lands next to its input.
 *
 * Field types, and how the form keeps them (all text until sent, so a half-typed value is never lost):
 * - `list`: strings, one per line or comma-separated → string[]
 * - `money`: an amount in major units ("12.50" or "12,50") → integer minor units
 * - `percent`: a percentage ("15" or "12.5") → basis points (1500, 1250)
 * - `int`: a whole number
 * - `datetime`: a local date and time (datetime-local) → ISO 8601 with offset
 * - `time`: HH:MM on the schedule's local clock
 * - `days`: ISO days of the week, 1 = Monday … 7 = Sunday
 * - `text`, `currency`: a string (ISO 4217 for currency)
 * - `bool`: a checkbox
 * - `tiers`: rows of { min (money), amount (money) or percent }
 */
export type FieldType =
  | 'list'
  | 'money'
  | 'percent'
  | 'int'
  | 'datetime'
  | 'time'
  | 'days'
  | 'text'
  | 'currency'
  | 'bool'
  | 'tiers';

/** One field of a kind; `optional` fields may stay empty (left out of the JSON). */
export interface FieldDef {
  name: string;
  type: FieldType;
  optional?: boolean;
  /** The value a new item starts with (form text). */
  initial?: string;
}

/** One condition or action kind and its fields. */
export interface KindDef {
  kind: string;
  fields: FieldDef[];
}

/** Condition kinds, in the order the form offers them. */
export const CONDITION_KINDS: KindDef[] = [
  { kind: 'sku', fields: [{ name: 'skus', type: 'list' }] },
  { kind: 'category', fields: [{ name: 'categories', type: 'list' }] },
  {
    kind: 'attribute',
    fields: [
      { name: 'name', type: 'text' },
      { name: 'values', type: 'list' },
    ],
  },
  {
    kind: 'cartSubtotal',
    fields: [
      { name: 'min', type: 'money' },
      { name: 'currency', type: 'currency', initial: 'EUR' },
    ],
  },
  { kind: 'quantity', fields: [{ name: 'min', type: 'int' }] },
  { kind: 'customerTier', fields: [{ name: 'tiers', type: 'list' }] },
  { kind: 'segment', fields: [{ name: 'segments', type: 'list' }] },
  { kind: 'firstOrder', fields: [] },
  {
    kind: 'dateWindow',
    fields: [
      { name: 'from', type: 'datetime', optional: true },
      { name: 'to', type: 'datetime', optional: true },
    ],
  },
  {
    kind: 'schedule',
    fields: [
      { name: 'days', type: 'days', optional: true },
      { name: 'from', type: 'time', optional: true },
      { name: 'to', type: 'time', optional: true },
      { name: 'timeZone', type: 'text', initial: 'Europe/Amsterdam' },
    ],
  },
];

/** Action kinds, in the order the form offers them. */
export const ACTION_KINDS: KindDef[] = [
  { kind: 'percentOff', fields: [{ name: 'percentBp', type: 'percent' }] },
  {
    kind: 'amountOff',
    fields: [
      { name: 'amount', type: 'money' },
      { name: 'perUnit', type: 'bool' },
      { name: 'currency', type: 'currency', initial: 'EUR' },
    ],
  },
  {
    kind: 'fixedPrice',
    fields: [
      { name: 'unitAmount', type: 'money' },
      { name: 'currency', type: 'currency', initial: 'EUR' },
    ],
  },
  {
    kind: 'buyXGetY',
    fields: [
      { name: 'buy', type: 'int', initial: '2' },
      { name: 'get', type: 'int', initial: '1' },
      { name: 'percentBp', type: 'percent', initial: '100' },
    ],
  },
  {
    kind: 'bundlePrice',
    fields: [
      { name: 'quantity', type: 'int', initial: '2' },
      { name: 'price', type: 'money' },
      { name: 'currency', type: 'currency', initial: 'EUR' },
    ],
  },
  {
    kind: 'tieredSpend',
    fields: [
      { name: 'tiers', type: 'tiers' },
      { name: 'currency', type: 'currency', initial: 'EUR' },
    ],
  },
  {
    kind: 'extraPoints',
    fields: [
      { name: 'points', type: 'int' },
      { name: 'perUnit', type: 'bool' },
    ],
  },
];

/** One tier of `tieredSpend` as the form keeps it: the minimum spend and what it saves. */
export interface TierRow {
  min: string;
  saves: 'amount' | 'percent';
  value: string;
}

/** A form field's value: text for most types, a flag, days, or tier rows. */
export type FieldValue = string | boolean | number[] | TierRow[];

/** A condition or action as the form keeps it. */
export interface KindForm {
  kind: string;
  values: Record<string, FieldValue>;
}

/** A field error keyed by its path in the body (`rule.action.percentBp`). */
export type FieldErrors = Record<string, string>;

/** Client-side messages (keys of the `promotions` namespace) keyed by path; the hub's are text. */
export type Problems = Record<string, { key: string; values?: Record<string, string | number> }>;

export function kindDef(defs: KindDef[], kind: string): KindDef {
  return defs.find((d) => d.kind === kind) ?? { kind, fields: [] };
}

/** A new condition or action of `kind`, with its fields' initial values. */
export function newKindForm(defs: KindDef[], kind: string): KindForm {
  const values: Record<string, FieldValue> = {};
  for (const f of kindDef(defs, kind).fields) values[f.name] = emptyValue(f);
  return { kind, values };
}

function emptyValue(f: FieldDef): FieldValue {
  if (f.type === 'bool') return false;
  if (f.type === 'days') return [];
  if (f.type === 'tiers') return [{ min: '', saves: 'amount', value: '' }];
  return f.initial ?? '';
}

/** Form text of a percentage → basis points ("12.5" → 1250), or null when not a number with ≤ 2 decimals. */
export function parsePercent(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  return Math.round(Number(t) * 100);
}

/** Basis points as the form's percent text: 1250 → "12.5". */
export function percentText(bp: number): string {
  return String(bp / 100);
}

/** List text (one per line or comma-separated) → its trimmed, non-empty entries. */
export function parseList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export { isoOfLocalInput, localInputOf };

/** A condition or action from the hub's JSON as the form keeps it. */
export function kindFormOf(defs: KindDef[], data: KindData): KindForm {
  const form = newKindForm(defs, data.kind);
  const currency = typeof data.currency === 'string' ? data.currency : 'EUR';
  for (const f of kindDef(defs, data.kind).fields) {
    const v = data[f.name];
    if (v === undefined || v === null) continue;
    switch (f.type) {
      case 'list':
        form.values[f.name] = Array.isArray(v) ? v.map(String).join('\n') : String(v);
        break;
      case 'money':
        form.values[f.name] = typeof v === 'number' ? moneyInputText(v, currency) : String(v);
        break;
      case 'percent':
        form.values[f.name] = typeof v === 'number' ? percentText(v) : String(v);
        break;
      case 'datetime':
        form.values[f.name] = localInputOf(String(v));
        break;
      case 'bool':
        form.values[f.name] = v === true;
        break;
      case 'days':
        form.values[f.name] = Array.isArray(v) ? v.map(Number) : [];
        break;
      case 'tiers':
        form.values[f.name] = Array.isArray(v)
          ? (v as Array<{ min: number; amount?: number; percentBp?: number }>).map((t): TierRow => ({
              min: moneyInputText(t.min, currency),
              saves: t.percentBp !== undefined ? 'percent' : 'amount',
              value:
                t.percentBp !== undefined
                  ? percentText(t.percentBp)
                  : moneyInputText(t.amount ?? 0, currency),
            }))
          : [];
        break;
      default:
        form.values[f.name] = String(v as string | number);
    }
  }
  return form;
}

/**
 * A condition or action of the form as the hub's JSON, with the client-side problems found at `path`
 * (`rule.action`, `rule.conditions.0`): a number that is not one, a percentage above 100, a required field
 * left empty. The hub checks everything again and is the judge.
 */
export function kindDataOf(defs: KindDef[], form: KindForm, path: string, problems: Problems): KindData {
  const out: KindData = { kind: form.kind };
  const currencyValue = form.values.currency;
  const currency =
    typeof currencyValue === 'string' && /^[A-Z]{3}$/.test(currencyValue.trim())
      ? currencyValue.trim()
      : 'EUR';
  for (const f of kindDef(defs, form.kind).fields) {
    const v = form.values[f.name];
    const at = `${path}.${f.name}`;
    const text = typeof v === 'string' ? v.trim() : '';
    const empty = typeof v === 'string' && text === '';
    if (empty && f.optional) continue;
    if (empty && f.type !== 'text' && f.type !== 'currency' && f.type !== 'list') {
      problems[at] = { key: 'problem.required' };
      continue;
    }
    switch (f.type) {
      case 'list': {
        const list = parseList(text);
        if (list.length === 0) problems[at] = { key: 'problem.required' };
        out[f.name] = list;
        break;
      }
      case 'money': {
        const minor = parseMoneyInput(text, currency);
        if (minor === null) problems[at] = { key: 'problem.money' };
        else out[f.name] = minor;
        break;
      }
      case 'percent': {
        const bp = parsePercent(text);
        if (bp === null) problems[at] = { key: 'problem.percent' };
        else if (bp < 1 || bp > 10_000) problems[at] = { key: 'problem.percentRange' };
        else out[f.name] = bp;
        break;
      }
      case 'int': {
        if (!/^-?\d+$/.test(text)) problems[at] = { key: 'problem.int' };
        else out[f.name] = Number(text);
        break;
      }
      case 'datetime': {
        const iso = isoOfLocalInput(text);
        if (iso === null) problems[at] = { key: 'problem.datetime' };
        else out[f.name] = iso;
        break;
      }
      case 'bool':
        out[f.name] = v === true;
        break;
      case 'days':
        if (Array.isArray(v) && v.length > 0) out[f.name] = [...(v as number[])].sort();
        break;
      case 'tiers': {
        const rows = Array.isArray(v) ? (v as TierRow[]) : [];
        out[f.name] = rows.map((row, i) => {
          const tier: Record<string, number> = {};
          const min = parseMoneyInput(row.min, currency);
          if (min === null) problems[`${at}.${i}.min`] = { key: 'problem.money' };
          else tier.min = min;
          if (row.saves === 'percent') {
            const bp = parsePercent(row.value);
            if (bp === null || bp < 1 || bp > 10_000)
              problems[`${at}.${i}.percentBp`] = { key: 'problem.percentRange' };
            else tier.percentBp = bp;
          } else {
            const amount = parseMoneyInput(row.value, currency);
            if (amount === null) problems[`${at}.${i}.amount`] = { key: 'problem.money' };
            else tier.amount = amount;
          }
          return tier;
        });
        break;
      }
      default:
        // text, time, currency: the hub judges the format (HH:MM, an IANA zone, ISO 4217).
        if (text !== '' || !f.optional) out[f.name] = text;
    }
  }
  return out;
}
