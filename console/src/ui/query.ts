import { ApiError } from '../api/client';

/**
 * A query's `retry` option: ask again once after a failure to reach the hub or a 5xx; never after a refusal
 * (a 4xx — bad filters, no access, not found: asking again answers the same).
 */
export const retryUnlessRefused = (failures: number, error: unknown): boolean =>
  failures < 1 && !(error instanceof ApiError && error.status >= 400 && error.status < 500);
