import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordAudit } from '../../backoffice-layer/index.js';
import {
  createBackofficeTestContext,
  startAdminApi,
  type AdminClient,
  type BackofficeTestContext,
} from '../support/backoffice.js';

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
}

let ctx: BackofficeTestContext;
let api: AdminClient;
beforeAll(async () => {
  ctx = await createBackofficeTestContext();
  api = await startAdminApi(ctx);
  const entries: Array<[string, string, string, string | null]> = [
    ['2026-03-01T09:00:00Z', 'admin:anna', 'PUT /prices/:sku', '/prices/SKU-1'],
    ['2026-03-01T10:00:00Z', 'client:c-1', 'customer.search', null],
    ['2026-03-01T10:00:00Z', 'client:c-1', 'customer.search-result', 'customer:42'],
    ['2026-03-02T08:00:00Z', 'admin:bert', 'customer.exported', 'customer:42'],
    ['2026-03-02T09:00:00Z', 'admin:anna', 'PUT /promotions/:id', '/promotions/p-1'],
    ['2026-03-03T09:00:00Z', 'admin:100%_sure', 'POST /stock/movements', null],
  ];
  for (const [at, actor, action, subject] of entries)
    await recordAudit(ctx.deps.db, new Date(at), { actor, action, subject, details: { n: 1 } });
});
afterAll(async () => {
  await api.close();
  await ctx.close();
});

async function audit(query: string): Promise<{ entries: Entry[]; next: number | null }> {
  const res = await api.request('GET', `/admin/v1/audit?${query}`);
  expect(res.status).toBe(200);
  return res.body as { entries: Entry[]; next: number | null };
}

const actions = (r: { entries: Entry[] }) => r.entries.map((e) => `${e.actor} ${e.action}`);

describe('GET /admin/v1/audit: filters and pages', () => {
  it('filters by actor exactly, newest first', async () => {
    expect(actions(await audit('actor=admin:anna'))).toEqual([
      'admin:anna PUT /promotions/:id',
      'admin:anna PUT /prices/:sku',
    ]);
    expect(actions(await audit('actor=admin:ann'))).toEqual([]);
  });

  it('filters by the start of the action, % and _ matching themselves only', async () => {
    expect(actions(await audit('action=customer.'))).toEqual([
      'admin:bert customer.exported',
      'client:c-1 customer.search-result',
      'client:c-1 customer.search',
    ]);
    expect(actions(await audit('action=PUT'))).toHaveLength(2);
    expect(actions(await audit(`action=${encodeURIComponent('%')}`))).toEqual([]);
    expect(actions(await audit(`actor=${encodeURIComponent('admin:100%_sure')}`))).toEqual([
      'admin:100%_sure POST /stock/movements',
    ]);
  });

  it('filters by a window [from, to) and combines the filters with the subject', async () => {
    const day = await audit(
      `from=${encodeURIComponent('2026-03-01T10:00:00Z')}&to=${encodeURIComponent('2026-03-02T09:00:00Z')}`,
    );
    expect(actions(day)).toEqual([
      'admin:bert customer.exported',
      'client:c-1 customer.search-result',
      'client:c-1 customer.search',
    ]);
    expect(actions(await audit('subject=customer:42&actor=client:c-1'))).toEqual([
      'client:c-1 customer.search-result',
    ]);
  });

  it('pages with before = next under the same filter', async () => {
    const first = await audit('action=customer.&limit=2');
    expect(first.entries).toHaveLength(2);
    expect(first.next).toBe(first.entries[1]!.id);
    const second = await audit(`action=customer.&limit=2&before=${first.next}`);
    expect(actions(second)).toEqual(['client:c-1 customer.search']);
    expect(second.next).toBeNull();
  });

  it('refuses a window ending before it starts and an instant that is none, naming the field', async () => {
    const window = new URLSearchParams({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' });
    const backwards = await api.request('GET', `/admin/v1/audit?${window.toString()}`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe('BAD_USER_INPUT');
    expect(backwards.body.issues).toEqual([expect.objectContaining({ path: 'query.to' })]);
    const bad = await api.request('GET', '/admin/v1/audit?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([expect.objectContaining({ path: 'query.from' })]);
  });
});
