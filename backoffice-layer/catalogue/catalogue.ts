import { canonicalJson, DomainError, lockOrClaim, runWrite } from '../../shared/index.js';
import type { FulfilmentSettings } from '../orders/fulfilment-settings.schema.js';
import type { Executor, WriteDeps } from '../tables.js';
import type { LocationState, ProductState } from '../events/event-types.js';
import { vatRateToBasisPoints, type LocationBody, type ProductBody } from './catalogue.schema.js';

export interface ProductView extends ProductState {
  /** VAT rate in percent, as the admin API takes it. */
  vatRate: number;
  revision: number;
  updatedAt: string;
}

export interface LocationView extends LocationState {
  /** The location's fulfilment settings; absent when none are declared. */
  fulfilment?: FulfilmentSettings;
  revision: number;
  updatedAt: string;
}

type ProductRow = {
  sku: string;
  name: string;
  category: string;
  attributes: Record<string, string>;
  vatRateBp: number;
  status: ProductState['status'];
  revision: number;
  updatedAt: Date;
};
type LocationRow = {
  id: string;
  name: string;
  kind: LocationState['kind'];
  fulfilsOnline: boolean;
  fulfilment: FulfilmentSettings | null;
  revision: number;
  updatedAt: Date;
};

export function toProductState(
  r: Pick<ProductRow, 'sku' | 'name' | 'category' | 'attributes' | 'vatRateBp' | 'status'>,
): ProductState {
  return {
    sku: r.sku,
    name: r.name,
    category: r.category,
    attributes: r.attributes,
    vatRateBp: r.vatRateBp,
    status: r.status,
  };
}

function productView(r: ProductRow): ProductView {
  return {
    ...toProductState(r),
    vatRate: r.vatRateBp / 100,
    revision: r.revision,
    updatedAt: r.updatedAt.toISOString(),
  };
}

function locationView(r: LocationRow): LocationView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    fulfilsOnline: r.fulfilsOnline,
    ...(r.fulfilment ? { fulfilment: r.fulfilment } : {}),
    revision: r.revision,
    updatedAt: r.updatedAt.toISOString(),
  };
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * Creates or updates a product (`input` already validated with `ProductBodySchema`, as every caller at a
 * boundary does). An update that changes nothing commits nothing and returns the current revision, so a feed
 * that re-sends the whole catalogue does not churn every cache.
 * @example
 * await upsertProduct(deps, 'COAT-WOOL-M', {
 *   name: 'Wool coat', category: 'coats', vatRate: 21, attributes: { size: 'M' },
 * });
 */
export async function upsertProduct(
  deps: WriteDeps,
  sku: string,
  input: ProductBody,
): Promise<{ product: ProductView; revision: number; changed: boolean }> {
  const state: ProductState = {
    sku,
    name: input.name,
    category: input.category,
    attributes: input.attributes,
    vatRateBp: vatRateToBasisPoints(input.vatRate),
    status: input.status,
  };
  const { result, revision } = await runWrite(deps, async (w) => {
    const current = await lockOrClaim(
      () => w.tx.selectFrom('products').selectAll().where('sku', '=', sku).forUpdate().executeTakeFirst(),
      () =>
        w.tx
          .insertInto('products')
          .values({
            ...state,
            attributes: JSON.stringify(state.attributes),
            revision: 0,
            createdAt: w.now,
            updatedAt: w.now,
          })
          .onConflict((oc) => oc.column('sku').doNothing())
          .returning('sku')
          .executeTakeFirst(),
    );
    if (
      current &&
      current.name === state.name &&
      current.category === state.category &&
      current.vatRateBp === state.vatRateBp &&
      current.status === state.status &&
      sameAttributes(current.attributes, state.attributes)
    ) {
      return { changed: false };
    }
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('products')
        .values({
          ...state,
          attributes: JSON.stringify(state.attributes),
          revision: rev,
          createdAt: w.now,
          updatedAt: w.now,
        })
        .onConflict((oc) =>
          oc.column('sku').doUpdateSet({
            name: state.name,
            category: state.category,
            attributes: JSON.stringify(state.attributes),
            vatRateBp: state.vatRateBp,
            status: state.status,
            revision: rev,
            updatedAt: w.now,
          }),
        )
        .execute();
    });
    w.emit({
      type: 'product.changed',
      aggregateType: 'product',
      aggregateId: sku,
      payload: { product: state },
    });
    return { changed: true };
  });
  const product = await getProduct(deps.db, sku);
  return { product: product!, revision, changed: result.changed };
}

export async function getProduct(db: Executor, sku: string): Promise<ProductView | null> {
  const row = await db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
  return row ? productView(row) : null;
}

/** Products in SKU order, keyset-paginated (`after` = last SKU of the previous page). */
export async function listProducts(
  db: Executor,
  opts: { limit: number; after?: string; category?: string; search?: string },
): Promise<{ products: ProductView[]; next: string | null }> {
  let q = db
    .selectFrom('products')
    .selectAll()
    .orderBy('sku')
    .limit(opts.limit + 1);
  if (opts.after) q = q.where('sku', '>', opts.after);
  if (opts.category) q = q.where('category', '=', opts.category);
  if (opts.search) {
    const like = `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('name', 'ilike', like), eb('sku', 'ilike', like)]));
  }
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return { products: page.map(productView), next: rows.length > opts.limit ? page.at(-1)!.sku : null };
}

/**
 * Creates or updates a location (warehouse or store, whether it fulfils online orders, and its fulfilment
 * settings). `input.fulfilment` absent keeps the stored settings, null removes them. A write that changes
 * nothing commits nothing and answers the current revision. The `location.changed` event carries the
 * location and, when it has any, its settings.
 */
export async function upsertLocation(
  deps: WriteDeps,
  id: string,
  input: LocationBody,
): Promise<{ location: LocationView; revision: number; changed: boolean }> {
  const state: LocationState = { id, name: input.name, kind: input.kind, fulfilsOnline: input.fulfilsOnline };
  const { result, revision } = await runWrite(deps, async (w) => {
    const current = await lockOrClaim(
      () => w.tx.selectFrom('locations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),
      () =>
        w.tx
          .insertInto('locations')
          .values({ ...state, revision: 0, createdAt: w.now, updatedAt: w.now })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst(),
    );
    const fulfilment = input.fulfilment === undefined ? (current?.fulfilment ?? null) : input.fulfilment;
    if (
      current &&
      current.name === state.name &&
      current.kind === state.kind &&
      current.fulfilsOnline === state.fulfilsOnline &&
      canonicalJson(current.fulfilment) === canonicalJson(fulfilment)
    )
      return { changed: false };
    const stored = fulfilment === null ? null : JSON.stringify(fulfilment);
    w.atRevision(async (tx, rev) => {
      await tx
        .insertInto('locations')
        .values({ ...state, fulfilment: stored, revision: rev, createdAt: w.now, updatedAt: w.now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            name: state.name,
            kind: state.kind,
            fulfilsOnline: state.fulfilsOnline,
            fulfilment: stored,
            revision: rev,
            updatedAt: w.now,
          }),
        )
        .execute();
    });
    w.emit({
      type: 'location.changed',
      aggregateType: 'location',
      aggregateId: id,
      payload: fulfilment === null ? { location: state } : { location: state, fulfilment },
    });
    return { changed: true };
  });
  const row = await deps.db
    .selectFrom('locations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { location: locationView(row), revision, changed: result.changed };
}

export async function listLocations(db: Executor): Promise<LocationView[]> {
  const rows = await db.selectFrom('locations').selectAll().orderBy('id').execute();
  return rows.map(locationView);
}

export async function getLocation(db: Executor, id: string): Promise<LocationView | null> {
  const row = await db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? locationView(row) : null;
}

/** Throws NOT_FOUND unless every SKU exists (used by writers that refer to products). */
export async function assertProductsExist(db: Executor, skus: readonly string[]): Promise<void> {
  const unique = [...new Set(skus)];
  if (unique.length === 0) return;
  const found = await db.selectFrom('products').select('sku').where('sku', 'in', unique).execute();
  if (found.length !== unique.length) {
    const have = new Set(found.map((f) => f.sku));
    const missing = unique.filter((s) => !have.has(s));
    throw new DomainError(
      'NOT_FOUND',
      `Unknown SKU${missing.length > 1 ? 's' : ''}: ${missing.slice(0, 10).join(', ')}`,
      { skus: missing.slice(0, 50) },
    );
  }
}
