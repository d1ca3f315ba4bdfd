import {
  setPrice,
  setStockCount,
  upsertLocation,
  upsertPriceList,
  upsertProduct,
} from '../../backoffice-layer/index.js';
import { createChannelClient } from '../../channel-layer/index.js';
import { enrollCustomer } from '../../journey-layer/index.js';
import type { BackofficeTestContext } from '../support/backoffice.js';

/**
 * The shop the access tests play in: a warehouse that ships online (wh-1), store A (ams-01) and store B
 * (utr-01), one product at `amount` (minor units) on the base price list, with `onHand` units at each of the
 * three.
 */
export async function givenWarehouseAndTwoStores(
  ctx: BackofficeTestContext,
  product: { sku: string; name: string; category: string; amount: number; onHand: number },
): Promise<void> {
  await upsertLocation(ctx.deps, 'wh-1', { name: 'Warehouse', kind: 'WAREHOUSE', fulfilsOnline: true });
  await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
  await upsertLocation(ctx.deps, 'utr-01', { name: 'Utrecht', kind: 'STORE', fulfilsOnline: false });
  await upsertPriceList(ctx.deps, 'base', { name: 'Base', currency: 'EUR', priority: 0 });
  await upsertProduct(ctx.deps, product.sku, {
    name: product.name,
    category: product.category,
    vatRate: 21,
    attributes: {},
    status: 'ACTIVE',
  });
  await setPrice(ctx.deps, 'base', product.sku, { amount: product.amount, minQuantity: 1 });
  for (const loc of ['wh-1', 'ams-01', 'utr-01'])
    await setStockCount(ctx.deps, product.sku, loc, { onHand: product.onHand });
}

/**
 * Channel clients by name: `[name, channel, store]` each (a store terminal's store; null otherwise); web and
 * app
 * clients sign customers in (scope `customer-tokens`). Answers each one's id and key by name.
 */
export async function givenChannelClients(
  ctx: BackofficeTestContext,
  specs: ReadonlyArray<readonly [string, 'WEB' | 'APP' | 'STORE' | 'CALL_CENTER' | 'CONSOLE', string | null]>,
): Promise<Record<string, { id: string; key: string }>> {
  const clients: Record<string, { id: string; key: string }> = {};
  for (const [name, channel, locationId] of specs) {
    const c = await createChannelClient(
      ctx.deps.db,
      {
        name,
        channel,
        ...(locationId ? { locationId } : {}),
        scopes: channel === 'WEB' || channel === 'APP' ? ['customer-tokens'] : [],
      },
      new Date(),
    );
    clients[name] = { id: c.id, key: c.key };
  }
  return clients;
}

/** Enrols `displayName` with `email` through the web channel (idempotent by the e-mail); answers her id. */
export async function givenMember(
  ctx: BackofficeTestContext,
  displayName: string,
  email: string,
): Promise<string> {
  const r = await enrollCustomer(ctx.deps, { displayName, email }, { channel: 'WEB', idempotencyKey: email });
  return r.customer.id;
}
