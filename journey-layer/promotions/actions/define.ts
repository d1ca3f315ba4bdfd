import type { z } from 'zod';
import type { ActionKind } from '../types.js';

export function defineAction<S extends z.ZodType>(a: ActionKind<S>): ActionKind {
  return a as unknown as ActionKind;
}
