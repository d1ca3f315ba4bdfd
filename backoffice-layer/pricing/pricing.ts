import { sql } from 'kysely';
import { DomainError, lockOrClaim, runWrite } from '../../shared/index.js';
import type { Executor, WriteContext, WriteDeps } from '../tables.js';
import type { PriceCandidate, PriceListState, PriceState } from '../events/event-types.js';
import type { PriceBody, PriceListBody } from './pricing.schema.js';
import { selectPrice, type SelectedPrice } from './select-price.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export interface PriceListView extends PriceListState {
  revision: number;
}

/** Creates or updates a price list (currency, priority, validity window). A no-op update commits nothing. */
export async function upsertPriceList(
  deps: WriteDeps,
  id: string,
  input: PriceListBody,
): Promise<{ priceList: PriceListView; revision: number; changed: boolean }> {
  const state: PriceListState = {
    id,
    name: input.name,
    currency: input.currency,
    priority: input.priority,
    validFrom: iso(input.validFrom ?? null),
    validTo: iso(input.validTo ?? null),
  };
  const { result, revision } = await runWrite(deps, async (w) => {
    const current = await lockOrClaim(
      () => w.tx.selectFrom('priceLists').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),
      () =>
        w.tx
          .insertInto('priceLists')
          .values({ ...state, revision: 0, createdAt: w.now, updatedAt: w.now })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst(),
    );
    if (current) {
      if (current.currency !== state.currency) {
        const prices = await w.tx
          .selectFrom('prices')
          .select('sku')
          .where('priceListId', '=', id)
          .limit(1)
          .executeTakeFirst();
        if (prices)
          throw new DomainError(
            'CONFLICT',
            `Price list ${id} holds prices in ${current.currency}; its currency cannot change`,
            { priceListId: id },
          );
      }
      if (
        current.name === state.name &&
        current.currency === state.currency &&
        current.priority === state.priority &&
        iso(current.validFrom) === state.validFrom &&
        iso(current.validTo) === state.validTo
      )
        return { changed: false };
    }
    w.atRevision(async (tx, rev) => {
      const values = {
        name: state.name,
        currency: state.currency,
        priority: state.priority,
        validFrom: state.validFrom,
        validTo: state.validTo,
        revision: rev,
        updatedAt: w.now,
      };
      await tx
        .insertInto('priceLists')
        .values({ id, ...values, createdAt: w.now })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    });
    w.emit({
      type: 'price-list.changed',
      aggregateType: 'price-list',
      aggregateId: id,
      payload: { priceList: state },
    });
    return { changed: true };
  });
  const priceList = await getPriceList(deps.db, id);
  return { priceList: priceList!, revision, changed: result.changed };
}

export async function getPriceList(db: Executor, id: string): Promise<PriceListView | null> {
  const r = await db.selectFrom('priceLists').selectAll().where('id', '=', id).executeTakeFirst();
  return r
    ? {
        id: r.id,
        name: r.name,
        currency: r.currency,
        priority: r.priority,
        validFrom: iso(r.validFrom),
        validTo: iso(r.validTo),
        revision: r.revision,
      }
    : null;
}

export async function listPrices(
  db: Executor,
  priceListId: string,
  opts: { limit: number; after?: string },
): Promise<{ prices: Array<PriceState & { revision: number }>; next: string | null }> {
  let q = db
    .selectFrom('prices')
    .selectAll()
    .where('priceListId', '=', priceListId)
    .orderBy('sku')
    .orderBy('minQuantity')
    .limit(opts.limit + 1);
  if (opts.after) q = q.where('sku', '>', opts.after);
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    prices: page.map((p) => ({
      priceListId: p.priceListId,
      sku: p.sku,
      minQuantity: p.minQuantity,
      amount: p.amount,
      validFrom: iso(p.validFrom),
      validTo: iso(p.validTo),
      revision: p.revision,
    })),
    next: rows.length > opts.limit ? page.at(-1)!.sku : null,
  };
}

function recordHistory(
  w: WriteContext,
  state: {
    priceListId: string;
    sku: string;
    minQuantity: number;
    amount: number | null;
    validFrom: string | null;
    validTo: string | null;
  },
  source: string,
): void {
  w.atRevision(async (tx, rev) => {
    await tx
      .insertInto('priceHistory')
      .values({ ...state, revision: rev, changedAt: w.now, source })
      .execute();
  });
}

/**
 * Sets one price (a quantity tier of a SKU in a list) with its own optional validity window, and keeps the
 * change in the price history. Unknown list or SKU → NOT_FOUND. Setting the same values again commits
 * nothing.
 * @example await setPrice(deps, 'base-eur', 'COAT-WOOL-M', { amount: 12995 });
 */
export async function setPrice(
  deps: WriteDeps,
  priceListId: string,
  sku: string,
  input: PriceBody,
  source = 'admin',
): Promise<{ price: PriceState; revision: number; changed: boolean }> {
  const state: PriceState = {
    priceListId,
    sku,
    minQuantity: input.minQuantity,
    amount: input.amount,
    validFrom: iso(input.validFrom ?? null),
    validTo: iso(input.validTo ?? null),
  };
  const { result, revision } = await runWrite(deps, async (w) => {
    const list = await w.tx
      .selectFrom('priceLists')
      .select('id')
      .where('id', '=', priceListId)
      .forShare()
      .executeTakeFirst();
    if (!list) throw new DomainError('NOT_FOUND', `No price list ${priceListId}`, { priceListId });
    const product = await w.tx
      .selectFrom('products')
      .select('sku')
      .where('sku', '=', sku)
      .forShare()
      .executeTakeFirst();
    if (!product) throw new DomainError('NOT_FOUND', `No product ${sku}`, { sku });
    const current = await lockOrClaim(
      () =>
        w.tx
          .selectFrom('prices')
          .selectAll()
          .where('priceListId', '=', priceListId)
          .where('sku', '=', sku)
          .where('minQuantity', '=', state.minQuantity)
          .forUpdate()
          .executeTakeFirst(),
      () =>
        w.tx
          .insertInto('prices')
          .values({ ...state, revision: 0 })
          .onConflict((oc) => oc.columns(['priceListId', 'sku', 'minQuantity']).doNothing())
          .returning('sku')
          .executeTakeFirst(),
    );
    if (
      current &&
      current.amount === state.amount &&
      iso(current.validFrom) === state.validFrom &&
      iso(current.validTo) === state.validTo
    )
      return { changed: false };
    w.atRevision(async (tx, rev) => {
      const values = {
        amount: state.amount,
        validFrom: state.validFrom,
        validTo: state.validTo,
        revision: rev,
      };
      await tx
        .insertInto('prices')
        .values({ priceListId, sku, minQuantity: state.minQuantity, ...values })
        .onConflict((oc) => oc.columns(['priceListId', 'sku', 'minQuantity']).doUpdateSet(values))
        .execute();
    });
    recordHistory(w, state, source);
    w.emit({
      type: 'price.changed',
      aggregateType: 'price',
      aggregateId: `${priceListId}/${sku}/${state.minQuantity}`,
      payload: { priceListId, sku, minQuantity: state.minQuantity, price: state },
    });
    return { changed: true };
  });
  return { price: state, revision, changed: result.changed };
}

/** Removes one price tier (kept in the history as a removal). NOT_FOUND when there is no such price. */
export async function deletePrice(
  deps: WriteDeps,
  priceListId: string,
  sku: string,
  minQuantity = 1,
  source = 'admin',
): Promise<{ revision: number }> {
  const { revision } = await runWrite(deps, async (w) => {
    const deleted = await w.tx
      .deleteFrom('prices')
      .where('priceListId', '=', priceListId)
      .where('sku', '=', sku)
      .where('minQuantity', '=', minQuantity)
      .returning('sku')
      .executeTakeFirst();
    if (!deleted)
      throw new DomainError('NOT_FOUND', `No price for ${sku} (from ${minQuantity}) in ${priceListId}`, {
        priceListId,
        sku,
        minQuantity,
      });
    recordHistory(w, { priceListId, sku, minQuantity, amount: null, validFrom: null, validTo: null }, source);
    w.emit({
      type: 'price.changed',
      aggregateType: 'price',
      aggregateId: `${priceListId}/${sku}/${minQuantity}`,
      payload: { priceListId, sku, minQuantity, price: null },
    });
  });
  return { revision };
}

export async function getPriceHistory(
  db: Executor,
  sku: string,
  opts: { limit: number; before?: number },
): Promise<{
  changes: Array<{
    id: number;
    priceListId: string;
    minQuantity: number;
    amount: number | null;
    validFrom: string | null;
    validTo: string | null;
    revision: number;
    changedAt: string;
    source: string;
  }>;
  next: number | null;
}> {
  let q = db
    .selectFrom('priceHistory')
    .selectAll()
    .where('sku', '=', sku)
    .orderBy('id', 'desc')
    .limit(opts.limit);
  if (opts.before) q = q.where('id', '<', opts.before);
  const rows = await q.execute();
  return {
    changes: rows.map((r) => ({
      id: r.id,
      priceListId: r.priceListId,
      minQuantity: r.minQuantity,
      amount: r.amount,
      validFrom: iso(r.validFrom),
      validTo: iso(r.validTo),
      revision: r.revision,
      changedAt: r.changedAt.toISOString(),
      source: r.source,
    })),
    next: rows.length === opts.limit ? rows.at(-1)!.id : null,
  };
}

/**
 * Every price row of these SKUs with its list's terms, in one query: the input of `selectPrice`, and what the
 * read model keeps per SKU. SKUs without prices map to an empty list.
 */
export async function loadPriceCandidates(
  db: Executor,
  skus: readonly string[],
): Promise<Map<string, PriceCandidate[]>> {
  const out = new Map<string, PriceCandidate[]>(skus.map((s) => [s, []]));
  if (skus.length === 0) return out;
  const rows = await db
    .selectFrom('prices')
    .innerJoin('priceLists', 'priceLists.id', 'prices.priceListId')
    .select([
      'prices.sku',
      'prices.priceListId',
      'priceLists.priority',
      'priceLists.currency',
      'priceLists.validFrom as listValidFrom',
      'priceLists.validTo as listValidTo',
      'prices.minQuantity',
      'prices.amount',
      'prices.validFrom',
      'prices.validTo',
    ])
    .where('prices.sku', 'in', [...new Set(skus)])
    .orderBy('prices.sku')
    .orderBy('prices.priceListId')
    .orderBy('prices.minQuantity')
    .execute();
  for (const r of rows) {
    out.get(r.sku)?.push({
      priceListId: r.priceListId,
      priority: r.priority,
      currency: r.currency.trim(),
      listValidFrom: iso(r.listValidFrom),
      listValidTo: iso(r.listValidTo),
      minQuantity: r.minQuantity,
      amount: r.amount,
      validFrom: iso(r.validFrom),
      validTo: iso(r.validTo),
    });
  }
  return out;
}

/**
 * The base price of a SKU straight from PostgreSQL; null when none applies.
 * - `at`: the instant asked about (the caller's, e.g. its injected clock's now);
 * - `quantity`: units bought, which picks the quantity tier (default 1);
 * - `currency`: ISO 4217 code; only that currency's price lists count when given, else any.
 * The answer's `amount` is in minor units of its `currency`.
 */
export async function getBasePrice(
  db: Executor,
  sku: string,
  opts: { at: Date; quantity?: number; currency?: string },
): Promise<SelectedPrice | null> {
  const candidates = (await loadPriceCandidates(db, [sku])).get(sku) ?? [];
  return selectPrice(candidates, {
    at: opts.at,
    quantity: opts.quantity ?? 1,
    ...(opts.currency ? { currency: opts.currency } : {}),
  });
}

/** SKUs whose effective price may change at `at` (a list or price window edge): used by the scheduler. */
export async function skusSwitchingAt(db: Executor, at: Date): Promise<string[]> {
  const r = await sql<{ sku: string }>`
    SELECT DISTINCT p.sku FROM prices p JOIN price_lists l ON l.id = p.price_list_id
    WHERE p.valid_from = ${at} OR p.valid_to = ${at} OR l.valid_from = ${at} OR l.valid_to = ${at}
    ORDER BY p.sku`.execute(db);
  return r.rows.map((x) => x.sku);
}
