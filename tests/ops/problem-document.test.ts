import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createAdminRouter, defineRoute, registerAdminKey } from '../../backoffice-layer/index.js';
import { DomainError } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

const KEY = 'test-admin-key-problem-0123456789abcdef';

describe('the REST problem document', () => {
  let ctx: BackofficeTestContext;
  let server: Server;
  let base = '';
  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await registerAdminKey(ctx.deps.db, KEY, 'test', new Date());
    // A route refusing with details named like the envelope's members (a coupon's `code`, say).
    const echo = defineRoute({
      method: 'get',
      path: '/echo/:id',
      tag: 'test',
      summary: 'echoes',
      handle: async ({ params }) => params,
    });
    const refuse = defineRoute({
      method: 'post',
      path: '/refuse',
      tag: 'test',
      summary: 'refuses',
      handle: async () => {
        throw new DomainError('CONFLICT', 'Coupon SUMMER-10 has just been used up', {
          code: 'SUMMER-10',
          status: 200,
          type: 'x',
          title: 'x',
          detail: 'x',
          instance: 'x',
          remaining: 0,
        });
      },
    });
    const app = express().use('/admin/v1', createAdminRouter(ctx.deps, [refuse, echo]));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await ctx.close();
  });

  it(
    'keeps its envelope whatever the details are named; those named like it are kept under ' +
      'details, the others are extension members',
    async () => {
      const res = await fetch(`${base}/admin/v1/refuse`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toEqual({
        type: 'https://omnihub.dev/problems/conflict',
        title: 'Conflict',
        status: 409,
        code: 'CONFLICT',
        detail: 'Coupon SUMMER-10 has just been used up',
        instance: '/admin/v1/refuse',
        remaining: 0,
        details: { code: 'SUMMER-10', status: 200, type: 'x', title: 'x', detail: 'x', instance: 'x' },
      });
    },
  );

  it('answers a path that is not valid percent-encoding as BAD_USER_INPUT, never a 500', async () => {
    for (const bad of ['%zz', '%E0%A4%A']) {
      const res = await fetch(`${base}/admin/v1/echo/${bad}`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect({ status: res.status, code: ((await res.json()) as { code: string }).code }).toEqual({
        status: 400,
        code: 'BAD_USER_INPUT',
      });
    }
    expect(
      await (
        await fetch(`${base}/admin/v1/echo/ok%20id`, { headers: { authorization: `Bearer ${KEY}` } })
      ).json(),
    ).toEqual({ id: 'ok id' });
  });
});
