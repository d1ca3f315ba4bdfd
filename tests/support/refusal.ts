import { DomainError } from '../../shared/index.js';

/**
 * The DomainError `run` throws (any other error is thrown on); fails the test when `run` throws nothing.
 * @example expect(refusalOf(() => sourceOrder(...)).code).toBe('INSUFFICIENT_STOCK');
 */
export function refusalOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
