// TEMPORARY stand-in until the real transitions land (will be replaced by recordFulfilmentEvent/cancelOrder).
import { runWrite } from '../../shared/index.js';
import { orderStatusOf, type FulfilmentStatus } from '../../backoffice-layer/index.js';
import type { BackofficeTestContext } from './backoffice.js';

export async function moveFulfilment(ctx: BackofficeTestContext, fulfilmentId: string, to: FulfilmentStatus) {
  const db = ctx.deps.db;
  await runWrite(ctx.deps, async (w) => {
    const f = await w.tx.selectFrom('fulfilments').selectAll().where('id', '=', fulfilmentId).executeTakeFirstOrThrow();
    await w.tx.updateTable('fulfilments').set({ status: to }).where('id', '=', fulfilmentId).execute();
    const all = await w.tx.selectFrom('fulfilments').select(['status', 'locationId']).where('orderId', '=', f.orderId).execute();
    const order = await w.tx.selectFrom('orders').selectAll().where('id', '=', f.orderId).executeTakeFirstOrThrow();
    const status = orderStatusOf(all);
    await w.tx.updateTable('orders').set({ status }).where('id', '=', f.orderId).execute();
    w.emit({
      type: 'order.changed', aggregateType: 'order', aggregateId: f.orderId,
      payload: { orderId: f.orderId, kind: order.kind, customerRef: order.customerRef, currency: order.currency,
        status, previousStatus: order.status, fulfilments: [{ fulfilmentId, locationId: f.locationId, method: f.method, from: f.status, to }],
        locationIds: all.map((x) => x.locationId), actor: 'test', channel: 'ADMIN', reason: null },
    });
  });
  void db;
}

export async function cancelWholeOrder(ctx: BackofficeTestContext, orderId: string) {
  const fs = await ctx.deps.db.selectFrom('fulfilments').select('id').where('orderId', '=', orderId).execute();
  for (const f of fs) await moveFulfilment(ctx, f.id, 'CANCELLED');
}
