import type { z } from 'zod';
import type { ConditionKind } from '../types.js';

export function defineCondition<S extends z.ZodType>(c: ConditionKind<S>): ConditionKind {
  return c as unknown as ConditionKind;
}
