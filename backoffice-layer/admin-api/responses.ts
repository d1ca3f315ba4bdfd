import { z } from 'zod';

/** Building blocks of the admin routes' response schemas (the OpenAPI document's success answers). */

/** A data revision: every committed change has one; an integer below 2^53. */
export const Revision = z.int().min(0).describe('The data revision');
/** An instant as JSON carries it: ISO 8601 with its offset. */
export const IsoDateTime = z.iso.datetime({ offset: true });
/**
 * What a write that changes one thing answers when there is nothing more to say: the revision it committed.
 */
export const RevisionResponse = z.object({ revision: Revision });
/** The `limit` of a list route: how many to answer, 1–`max`, `fallback` when absent. */
export function limitQuery(max: number, fallback: number) {
  return z.coerce.number().int().min(1).max(max).default(fallback).describe(`How many to answer (1–${max})`);
}
