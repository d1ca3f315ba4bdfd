import { KnownCurrencySchema } from '../../shared/index.js';

/**
 * The currency of a rule's amounts (ISO 4217 List One; `EUR` when the rule names none): a rule with amounts
 * applies only to a cart priced in it, because €5 off is not £5 off. Percentages need none.
 */
export const AmountCurrencySchema = KnownCurrencySchema.default('EUR');
