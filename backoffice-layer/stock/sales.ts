import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { DomainError, isUuid, mulDivHalfUp, runWrite } from '../../shared/index.js';
import type { Executor, OrderKind, WriteContext, WriteDeps } from '../tables.js';
import { assertKnown, levelKey, lockLevels, StockChange } from './levels.js';
import type { OrderHooks } from './commit-reservation.js';
import type { ReturnInput, StoreSaleInput } from './stock.schema.js';
import { announceSale, insertOrder, type OrderToInsert } from './insert-order.js';
import { writeBackLevels } from './write-back-levels.js';

/**
 * A sale at a till of goods the customer holds in her hands: always recorded, never refused. Units come from
 * the store's unreserved stock; where the books show fewer than were sold, the books are corrected first
 * (ledger DISCREPANCY) and `stock.discrepancy` asks staff to count, then the sale is booked (ledger SALE).
 * `lockFirst`, `reprice` and `also` run other layers' work (the customer's lock, promotion budgets, coupon
 * redemptions) inside the same transaction (see OrderHooks): all of it commits with the order or none does;
 * what they throw refuses the sale.
 * @example
 * const lines = [{ sku: 'SOCK-1', quantity: 2, unitAmount: 999 }];
 * await recordStoreSale(deps, { locationId: 'ams-01', currency: 'EUR', lines }, 'till-7-0001');
 */
export async function recordStoreSale(
  deps: WriteDeps,
  input: StoreSaleInput,
  idempotencyKey: string,
  opts: OrderHooks<StoreSaleInput['lines']> = {},
): Promise<{
  orderId: string;
  totalAmount: number;
  discrepancies: Array<{ sku: string; shortfall: number }>;
  revision: number;
  replayed: boolean;
}> {
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      if (opts.lockFirst) await opts.lockFirst(w);
      await assertKnown(
        w.tx,
        input.lines.map((l) => l.sku),
        [input.locationId],
      );
      const levels = await lockLevels(
        w,
        input.lines.map((l) => ({ sku: l.sku, locationId: input.locationId })),
      );
      const orderId = input.orderId ?? randomUUID();
      // Repriced once the stock rows are locked (see OrderHooks): the same lines, possibly other amounts.
      const repriced = opts.reprice ? await opts.reprice(w) : null;
      if (
        repriced &&
        (repriced.length !== input.lines.length ||
          repriced.some((l, i) => l.sku !== input.lines[i]!.sku || l.quantity !== input.lines[i]!.quantity))
      )
        throw new Error('repricing changed the units of a sale');
      const lines = (repriced ?? input.lines).map((l) => ({
        ...l,
        lineAmount: l.lineAmount ?? l.unitAmount * l.quantity,
      }));
      if (lines.some((l) => !Number.isSafeInteger(l.lineAmount) || l.lineAmount > 1_000_000_000_000))
        throw new DomainError('BAD_USER_INPUT', 'A line amount is too large', {});
      const totalAmount = lines.reduce((s, l) => s + l.lineAmount, 0);
      const order: OrderToInsert = {
        id: orderId,
        kind: 'STORE',
        reservationId: null,
        locationId: input.locationId,
        customerRef: input.customerRef ?? null,
        channel: input.channel ?? 'STORE',
        currency: input.currency,
        totalAmount,
        lines: lines.map((l) => ({
          sku: l.sku,
          locationId: input.locationId,
          quantity: l.quantity,
          unitAmount: l.unitAmount,
          lineAmount: l.lineAmount,
        })),
      };
      await insertOrder(w, order);
      const change = new StockChange(w, 'store-sale');
      const discrepancies: Array<{ sku: string; shortfall: number }> = [];
      for (const l of lines) {
        const level = levels.get(levelKey(l.sku, input.locationId))!;
        const free = level.onHand - level.reserved;
        if (free < l.quantity) {
          const shortfall = l.quantity - free;
          level.onHand += shortfall;
          change.record({
            sku: l.sku,
            locationId: input.locationId,
            kind: 'DISCREPANCY',
            onHandDelta: shortfall,
            reference: orderId,
            reason: 'sold more than the books held',
          });
          discrepancies.push({ sku: l.sku, shortfall });
          w.emit({
            type: 'stock.discrepancy',
            aggregateType: 'stock',
            aggregateId: l.sku,
            payload: { sku: l.sku, locationId: input.locationId, shortfall, reference: orderId },
          });
        }
        level.onHand -= l.quantity;
        change.record({
          sku: l.sku,
          locationId: input.locationId,
          kind: 'SALE',
          onHandDelta: -l.quantity,
          reference: orderId,
        });
      }
      await writeBackLevels(w, change, levels.values());
      if (opts.also) await opts.also(w, orderId);
      announceSale(w, order);
      change.announce();
      return { orderId, totalAmount, discrepancies };
    },
    { idempotency: { scope: 'store-sale', key: idempotencyKey, request: input } },
  );
  return { ...result, revision, replayed };
}

/**
 * Units of order `orderId` per SKU that the customer has not received and that are not on their way: those of
 * its fulfilments that are not SHIPPED, DELIVERED or COLLECTED (still held, or cancelled, or uncollected). A
 * store sale or an order without fulfilments has none.
 */
async function unitsNotHandedOver(w: WriteContext, orderId: string): Promise<Map<string, number>> {
  const rows = await w.tx
    .selectFrom('fulfilmentLines')
    .innerJoin('fulfilments', 'fulfilments.id', 'fulfilmentLines.fulfilmentId')
    .select(['fulfilmentLines.sku', (eb) => eb.fn.sum<string>('fulfilmentLines.quantity').as('units')])
    .where('fulfilments.orderId', '=', orderId)
    .where('fulfilments.status', 'not in', ['SHIPPED', 'DELIVERED', 'COLLECTED'])
    .groupBy('fulfilmentLines.sku')
    .execute();
  return new Map(rows.map((r) => [r.sku, Number(r.units)]));
}

/**
 * Accepts returned items of an order at any location. Sellable units go back on that location's shelf (ledger
 * RETURN); damaged ones are recorded but not restocked. Returning more than was sold (across all earlier
 * returns) is a CONFLICT, and so is returning units of an online order that never reached the customer (a
 * fulfilment not yet shipped is cancelled, not returned). The refund is each line's paid amount pro rata,
 * rounded so that returning every
 * unit refunds exactly what was paid, in minor units of the order's own `currency` (ISO 4217).
 */
export async function returnItems(
  deps: WriteDeps,
  input: ReturnInput,
  idempotencyKey: string,
): Promise<{
  returnId: string;
  refundAmount: number;
  currency: string;
  revision: number;
  replayed: boolean;
}> {
  const { result, revision, replayed } = await runWrite(
    deps,
    async (w) => {
      const order = await w.tx
        .selectFrom('orders')
        .select(['id', 'customerRef', 'currency'])
        .where('id', '=', input.orderId)
        .forUpdate()
        .executeTakeFirst();
      if (!order) throw new DomainError('NOT_FOUND', `No order ${input.orderId}`, { orderId: input.orderId });
      await assertKnown(w.tx, [], [input.locationId]);
      const orderLines = await w.tx
        .selectFrom('orderLines')
        .selectAll()
        .where('orderId', '=', input.orderId)
        .orderBy('lineNo')
        .execute();
      const notYetOut = await unitsNotHandedOver(w, input.orderId);
      const returnId = randomUUID();
      let refundAmount = 0;
      const sellable = input.lines.filter((l) => l.sellable);
      const levels = await lockLevels(
        w,
        sellable.map((l) => ({ sku: l.sku, locationId: input.locationId })),
      );
      const change = new StockChange(w, 'return');
      for (const l of input.lines) {
        const lines = orderLines.filter((x) => x.sku === l.sku);
        // Only what reached the customer (or is on its way) comes back: units still held are not returnable.
        const returnable =
          lines.reduce((n, ol) => n + ol.quantity - ol.returnedQuantity, 0) - (notYetOut.get(l.sku) ?? 0);
        if (l.quantity > returnable)
          throw new DomainError(
            'CONFLICT',
            `Order ${input.orderId} has ${Math.max(returnable, 0)} returnable units of ${l.sku}, ` +
              `not ${l.quantity}`,
            { orderId: input.orderId, sku: l.sku, returnable: Math.max(returnable, 0) },
          );
        let left = l.quantity;
        for (const ol of lines) {
          const open = ol.quantity - ol.returnedQuantity;
          const k = Math.min(open, left);
          if (k <= 0) continue;
          refundAmount +=
            mulDivHalfUp(ol.lineAmount, ol.returnedQuantity + k, ol.quantity) -
            mulDivHalfUp(ol.lineAmount, ol.returnedQuantity, ol.quantity);
          ol.returnedQuantity += k;
          left -= k;
          await w.tx
            .updateTable('orderLines')
            .set({ returnedQuantity: ol.returnedQuantity })
            .where('orderId', '=', ol.orderId)
            .where('lineNo', '=', ol.lineNo)
            .execute();
        }
        if (left > 0)
          throw new DomainError(
            'CONFLICT',
            `Order ${input.orderId} has ${l.quantity - left} returnable units of ${l.sku}, not ${l.quantity}`,
            { orderId: input.orderId, sku: l.sku, returnable: l.quantity - left },
          );
        if (l.sellable) {
          const level = levels.get(levelKey(l.sku, input.locationId))!;
          level.onHand += l.quantity;
          change.record({
            sku: l.sku,
            locationId: input.locationId,
            kind: 'RETURN',
            onHandDelta: l.quantity,
            reference: returnId,
          });
        }
      }
      await writeBackLevels(w, change, levels.values());
      await w.tx
        .insertInto('returns')
        .values({
          id: returnId,
          orderId: input.orderId,
          locationId: input.locationId,
          refundAmount,
          revision: 0,
          createdAt: w.now,
        })
        .execute();
      await w.tx
        .insertInto('returnLines')
        .values(
          input.lines.map((l, i) => ({
            returnId,
            lineNo: i + 1,
            sku: l.sku,
            quantity: l.quantity,
            sellable: l.sellable,
          })),
        )
        .execute();
      w.atRevisionSql((rev) => sql`UPDATE returns SET revision = ${rev} WHERE id = ${returnId}`);
      w.emit({
        type: 'return.recorded',
        aggregateType: 'order',
        aggregateId: input.orderId,
        payload: {
          returnId,
          orderId: input.orderId,
          customerRef: order.customerRef,
          refundAmount,
          lines: input.lines,
        },
      });
      change.announce();
      return { returnId, refundAmount, currency: order.currency };
    },
    { idempotency: { scope: 'return-items', key: idempotencyKey, request: input } },
  );
  return { ...result, revision, replayed };
}

/**
 * An order's head: what says whose it is. `customerRef` is the customer's id as the order was placed or sold
 * with (her survivor after a merge, a pseudonym after her erasure; null for a sale to nobody known);
 * `locationId` is the store of a store sale (null for an online order, whose lines carry their own
 * locations); `totalAmount` is in minor units of `currency`.
 */
export interface OrderHead {
  id: string;
  kind: OrderKind;
  customerRef: string | null;
  locationId: string | null;
  channel: string | null;
  totalAmount: number;
  currency: string;
}

/** The head of order `id`, or null when there is none (an id that is not a UUID included). */
export async function findOrderHead(db: Executor, id: string): Promise<OrderHead | null> {
  if (!isUuid(id)) return null;
  return (
    (await db
      .selectFrom('orders')
      .select(['id', 'kind', 'customerRef', 'locationId', 'channel', 'totalAmount', 'currency'])
      .where('id', '=', id)
      .executeTakeFirst()) ?? null
  );
}
