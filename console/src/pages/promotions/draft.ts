import type { Promotion, PromotionBody, PromotionStatus, Stacking } from './api';
import {
  ACTION_KINDS,
  CONDITION_KINDS,
  isoOfLocalInput,
  kindDataOf,
  kindDef,
  kindFormOf,
  localInputOf,
  newKindForm,
  parseList,
  type FieldErrors,
  type KindForm,
  type Problems,
} from './kinds';
import { moneyInputText, parseMoneyInput } from '../../ui/money-input';

/**
 * The promotion form's state: everything as text until sent (see kinds.ts), and how it turns into the body
 * of `PUT /admin/v1/promotions/{id}`. Each input is named by its path in that body (`rule.label`,
 * `rule.conditions.0.skus`, `budgetAmount`), the path the hub names in a field error.
 */
export interface PromotionDraft {
  id: string;
  label: string;
  status: PromotionStatus;
  priority: string;
  stacking: Stacking;
  validFrom: string;
  validTo: string;
  couponRequired: boolean;
  reason: string;
  conditions: Array<KindForm & { key: number }>;
  action: KindForm;
  targeted: boolean;
  targetSegments: string;
  targetCustomerIds: string;
  /** Budget in major units of `budgetCurrency` ("" = no budget). */
  budget: string;
}

/** The currency budgets are counted in (the hub's default market). */
export const BUDGET_CURRENCY = 'EUR';

let nextKey = 1;
/** A key for a new condition row (React's list key; not sent). */
export function conditionKey(): number {
  return nextKey++;
}

/** The form of a new promotion: 10 % off, stackable, active, no window. */
export function emptyDraft(): PromotionDraft {
  return {
    id: '',
    label: '',
    status: 'ACTIVE',
    priority: '0',
    stacking: 'STACKABLE',
    validFrom: '',
    validTo: '',
    couponRequired: false,
    reason: '',
    conditions: [],
    action: { ...newKindForm(ACTION_KINDS, 'percentOff'), values: { percentBp: '10' } },
    targeted: false,
    targetSegments: '',
    targetCustomerIds: '',
    budget: '',
  };
}

/** The form of a saved promotion. */
export function draftOf(p: Promotion): PromotionDraft {
  const r = p.rule;
  return {
    id: p.id,
    label: r.label,
    status: p.status,
    priority: String(r.priority),
    stacking: r.stacking,
    validFrom: localInputOf(r.validFrom),
    validTo: localInputOf(r.validTo),
    couponRequired: r.couponRequired,
    reason: r.reason ?? '',
    conditions: r.conditions.map((c) => ({ ...kindFormOf(CONDITION_KINDS, c), key: conditionKey() })),
    action: kindFormOf(ACTION_KINDS, r.action),
    targeted: !!r.target,
    targetSegments: (r.target?.segments ?? []).join('\n'),
    targetCustomerIds: (r.target?.customerIds ?? []).join('\n'),
    budget: p.budgetAmount === null ? '' : moneyInputText(p.budgetAmount, BUDGET_CURRENCY),
  };
}

/**
 * The body of `PUT /promotions/{id}` from the form, with what the form already sees is wrong (keyed by body
 * path; message keys of the `promotions` namespace). The body is sent only when there are no problems; the
 * hub checks it again.
 */
export function bodyOf(d: PromotionDraft): { body: PromotionBody; problems: Problems } {
  const problems: Problems = {};
  if (!d.label.trim()) problems['rule.label'] = { key: 'problem.required' };
  const priority = d.priority.trim() === '' ? 0 : Number(d.priority);
  if (!/^-?\d*$/.test(d.priority.trim())) problems['rule.priority'] = { key: 'problem.int' };
  const validFrom = isoOfLocalInput(d.validFrom);
  const validTo = isoOfLocalInput(d.validTo);
  if (d.validFrom.trim() && !validFrom) problems['rule.validFrom'] = { key: 'problem.datetime' };
  if (d.validTo.trim() && !validTo) problems['rule.validTo'] = { key: 'problem.datetime' };
  let budgetAmount: number | null = null;
  if (d.budget.trim()) {
    budgetAmount = parseMoneyInput(d.budget, BUDGET_CURRENCY);
    if (budgetAmount === null) problems.budgetAmount = { key: 'problem.money' };
  }
  const conditions = d.conditions.map((c, i) =>
    kindDataOf(CONDITION_KINDS, c, `rule.conditions.${i}`, problems),
  );
  const action = kindDataOf(ACTION_KINDS, d.action, 'rule.action', problems);
  const rule: PromotionBody['rule'] = {
    label: d.label.trim(),
    priority: Number.isFinite(priority) ? priority : 0,
    stacking: d.stacking,
    validFrom,
    validTo,
    conditions,
    action,
    couponRequired: d.couponRequired,
    ...(d.reason.trim() ? { reason: d.reason.trim() } : {}),
    ...(d.targeted
      ? {
          target: {
            segments: parseList(d.targetSegments),
            customerIds: parseList(d.targetCustomerIds),
          },
        }
      : {}),
  };
  return { body: { rule, status: d.status, budgetAmount }, problems };
}

/**
 * Every path the form shows an input (or a group) for: a field error at one of these, or below one, is shown
 * there; any other is shown above the form.
 */
export function fieldPaths(d: PromotionDraft): string[] {
  const paths = [
    'id',
    'params.id',
    'status',
    'budgetAmount',
    'rule.label',
    'rule.priority',
    'rule.stacking',
    'rule.validFrom',
    'rule.validTo',
    'rule.couponRequired',
    'rule.reason',
    'rule.conditions',
    'rule.action',
  ];
  d.conditions.forEach((_, i) => paths.push(`rule.conditions.${i}`));
  if (d.targeted) paths.push('rule.target', 'rule.target.segments', 'rule.target.customerIds');
  return paths;
}

/**
 * The error of the input at `path`: one at that path exactly or below it (`rule.conditions.0.skus.3` is
 * shown at `rule.conditions.0.skus`), when no deeper input of `inputs` claims it.
 */
export function errorAt(errors: FieldErrors, path: string, deeper: string[] = []): string | undefined {
  for (const [p, message] of Object.entries(errors)) {
    if (p !== path && !p.startsWith(path + '.')) continue;
    if (deeper.some((q) => p === q || p.startsWith(q + '.'))) continue;
    return message;
  }
  return undefined;
}

/** The errors no input of the form shows (a whole-body refusal, an unexpected path). */
export function unplacedErrors(errors: FieldErrors, d: PromotionDraft): Array<[string, string]> {
  const paths = fieldPaths(d);
  return Object.entries(errors).filter(
    ([p]) => !paths.some((q) => p === q || p.startsWith(q + '.')) || p === 'body' || p === '',
  );
}

/** The field paths of one condition or of the action (for errorAt's `deeper`). */
export function kindFieldPaths(defs: 'conditions' | 'action', form: KindForm, path: string): string[] {
  const def = kindDef(defs === 'action' ? ACTION_KINDS : CONDITION_KINDS, form.kind);
  return [`${path}.kind`, ...def.fields.map((f) => `${path}.${f.name}`)];
}
