import { DomainError } from '../../../shared/index.js';

/** The DomainError a call is refused with (any other error is thrown on); fails when it succeeds. */
export async function refusal(call: Promise<unknown>): Promise<DomainError> {
  try {
    await call;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
