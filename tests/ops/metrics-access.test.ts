/**
 * Who may read the operations surface, over real HTTP against started API nodes: `/metrics` only with the
 * metrics token or on the metrics listener (never open on the main port, in any NODE_ENV), and the admin
 * API's OpenAPI document only with an admin key.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerAdminKey } from '../../backoffice-layer/index.js';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { loadConfig, type Config } from '../../shared/index.js';
import { createBackofficeTestContext, type BackofficeTestContext } from '../support/backoffice.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const ADMIN_KEY = 'surface-admin-key-0123456789abcdef';

type Answer = {
  status: number;
  contentType: string;
  wwwAuthenticate: string | null;
  text: string;
  problem?: { code: string; status: number; detail: string; title: string };
};

async function get(port: number, path: string, authorization?: string): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: authorization ? { authorization } : {},
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    contentType,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    text,
    ...(contentType.includes('problem+json') ? { problem: JSON.parse(text) as Answer['problem'] } : {}),
  };
}

/** A port nothing listens on now (taken from the system, then freed). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const refused = (port: number) =>
  fetch(`http://127.0.0.1:${port}/metrics`).then(
    () => false,
    () => true,
  );

describe('metrics and OpenAPI access', () => {
  let ctx: BackofficeTestContext;
  /**
   * Neither variable set, NODE_ENV=development (the default): the most tempting place to leave metrics open.
   */
  let plain: ApiNode;
  let withToken: ApiNode;
  let withPort: ApiNode;
  let withBoth: ApiNode;
  let channelKey: string;
  const node = (config: Partial<Config>) =>
    startApiNode({ ...ctx.deps, config: { ...ctx.deps.config, ...config } }, 0, '127.0.0.1');

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    await registerAdminKey(ctx.deps.db, ADMIN_KEY, 'surface', new Date());
    channelKey = (
      await createChannelClient(ctx.deps.db, { name: 'web', channel: 'WEB', scopes: [] }, new Date())
    ).key;
    plain = await node({ nodeEnv: 'development' });
    withToken = await node({ nodeEnv: 'production', metricsToken: TOKEN });
    withPort = await node({ nodeEnv: 'production', metricsPort: 0, metricsHost: '127.0.0.1' });
    withBoth = await node({ nodeEnv: 'production', metricsToken: TOKEN, metricsPort: 0 });
  });
  afterAll(async () => {
    for (const n of [plain, withToken, withPort, withBoth]) await n?.stop(100);
    await ctx.close();
  });

  it(
    'reads the new variables: a token of at least 16 printable characters, a port other than ' +
      'PORT, 127.0.0.1 by default',
    () => {
      const defaults = loadConfig({});
      expect(defaults).toMatchObject({
        nodeEnv: 'development',
        metricsToken: undefined,
        metricsPort: undefined,
        metricsHost: '127.0.0.1',
      });
      expect(
        loadConfig({
          OMNIHUB_METRICS_TOKEN: TOKEN,
          OMNIHUB_METRICS_PORT: '9464',
          OMNIHUB_METRICS_HOST: '0.0.0.0',
        }),
      ).toMatchObject({ metricsToken: TOKEN, metricsPort: 9464, metricsHost: '0.0.0.0' });
      // compose's `${OMNIHUB_METRICS_TOKEN:-}` with nothing given: not set, rather than a refused start.
      expect(loadConfig({ OMNIHUB_METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
      expect(() => loadConfig({ OMNIHUB_METRICS_TOKEN: 'too-short' })).toThrow(/OMNIHUB_METRICS_TOKEN/);
      expect(() => loadConfig({ OMNIHUB_METRICS_TOKEN: 'sixteen chars with spaces' })).toThrow(
        /OMNIHUB_METRICS_TOKEN/,
      );
      expect(() => loadConfig({ PORT: '4000', OMNIHUB_METRICS_PORT: '4000' })).toThrow(
        /OMNIHUB_METRICS_PORT: must differ from PORT/,
      );
      expect(() => loadConfig({ OMNIHUB_METRICS_PORT: '70000' })).toThrow(/OMNIHUB_METRICS_PORT/);
    },
  );

  it(
    'starts and stops the metrics listener with the node; a busy metrics port stops the start, ' +
      'leaving nothing listening',
    async () => {
      const n = await node({ metricsPort: 0 });
      const port = n.metricsPort!;
      expect((await get(port, '/metrics')).status).toBe(200);
      await n.stop(100);
      expect(await refused(port)).toBe(true);

      const busy: Server = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
      try {
        const mainPort = await freePort();
        const metricsPort = (busy.address() as { port: number }).port;
        await expect(
          startApiNode({ ...ctx.deps, config: { ...ctx.deps.config, metricsPort } }, mainPort, '127.0.0.1'),
        ).rejects.toMatchObject({ code: 'EADDRINUSE' });
        expect(await refused(mainPort)).toBe(true);
        // And the other way round: a busy main port closes the metrics listener again.
        const freeMetricsPort = await freePort();
        await expect(
          startApiNode(
            { ...ctx.deps, config: { ...ctx.deps.config, metricsPort: freeMetricsPort } },
            metricsPort,
            '127.0.0.1',
          ),
        ).rejects.toMatchObject({ code: 'EADDRINUSE' });
        expect(await refused(freeMetricsPort)).toBe(true);
        // That start had opened its Redis subscribers; ioredis lets a connection it was told to drop finish
        // for up to 2 s before destroying it. Waited out here, so the file leaves nothing running when it
        // ends.
        await new Promise((r) => setTimeout(r, 2_100));
      } finally {
        await new Promise<void>((r) => busy.close(() => r()));
      }
    },
  );

  it(
    'with neither variable set, answers /metrics 401 telling the operator what to set, even in ' +
      'development',
    async () => {
      for (const auth of [undefined, `Bearer ${TOKEN}`, `Bearer ${ADMIN_KEY}`]) {
        const r = await get(plain.port, '/metrics', auth);
        expect(r.status).toBe(401);
        expect(r.contentType).toContain('application/problem+json');
        expect(r.wwwAuthenticate).toMatch(/^Bearer/);
        expect(r.problem).toMatchObject({
          code: 'UNAUTHENTICATED',
          status: 401,
          title: 'Authentication required',
        });
        expect(r.problem!.detail).toMatch(/OMNIHUB_METRICS_TOKEN/);
        expect(r.problem!.detail).toMatch(/OMNIHUB_METRICS_PORT/);
        expect(r.text).not.toContain('omnihub_');
      }
      expect(plain.metricsPort).toBeUndefined();
      // The rest of the operations surface stays open: load balancers probe it without credentials.
      expect((await get(plain.port, '/healthz')).status).toBe(200);
      expect((await get(plain.port, '/readyz')).status).toBe(200);
    },
  );

  it('with a token, serves metrics to that bearer token only', async () => {
    const ok = await get(withToken.port, '/metrics', `Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.contentType).toContain('text/plain');
    expect(ok.text).toContain('omnihub_http_request_duration_seconds');
    expect(ok.text).toContain('omnihub_process_cpu_seconds_total');
    expect((await get(withToken.port, '/metrics', `bearer ${TOKEN}`)).status).toBe(200);
    for (const auth of [
      undefined,
      'Bearer',
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      `Bearer ${ADMIN_KEY}`,
      `Bearer ${channelKey}`,
      TOKEN,
    ]) {
      const r = await get(withToken.port, '/metrics', auth);
      expect({ auth, status: r.status, code: r.problem?.code }).toEqual({
        auth,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(r.contentType).toContain('application/problem+json');
      expect(r.wwwAuthenticate).toMatch(/^Bearer/);
      expect(r.problem!.detail).toMatch(/Authorization: Bearer/);
      expect(r.text).not.toContain('omnihub_');
    }
  });

  it('with a metrics port, serves metrics there alone, openly, and keeps the main port closed', async () => {
    expect(withPort.metricsPort).toEqual(expect.any(Number));
    expect(withPort.metricsPort).not.toBe(withPort.port);
    const ok = await get(withPort.metricsPort!, '/metrics');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('omnihub_http_request_duration_seconds');
    // The metrics listener serves nothing else: no APIs, no health, no OpenAPI document.
    for (const path of [
      '/healthz',
      '/readyz',
      '/graphql',
      '/admin/v1/openapi.json',
      '/admin/v1/audit',
      '/metrics/x',
    ]) {
      const r = await get(withPort.metricsPort!, path, `Bearer ${ADMIN_KEY}`);
      expect({ path, status: r.status, code: r.problem?.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    const main = await get(withPort.port, '/metrics');
    expect(main.status).toBe(401);
    expect(main.problem?.code).toBe('UNAUTHENTICATED');
  });

  it('with both, wants the token on either port', async () => {
    expect((await get(withBoth.metricsPort!, '/metrics')).status).toBe(401);
    expect(
      (await get(withBoth.metricsPort!, '/metrics', 'Bearer wrong-token-0123456789')).problem?.code,
    ).toBe('UNAUTHENTICATED');
    expect((await get(withBoth.metricsPort!, '/metrics', `Bearer ${TOKEN}`)).status).toBe(200);
    expect((await get(withBoth.port, '/metrics', `Bearer ${TOKEN}`)).status).toBe(200);
    expect((await get(withBoth.port, '/metrics')).status).toBe(401);
  });

  it('serves the OpenAPI document to admin keys only', async () => {
    const ok = await get(plain.port, '/admin/v1/openapi.json', `Bearer ${ADMIN_KEY}`);
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.text) as { openapi: string }).openapi).toBe('3.1.0');
    const none = await get(plain.port, '/admin/v1/openapi.json');
    expect(none.status).toBe(401);
    expect(none.contentType).toContain('application/problem+json');
    expect(none.problem?.code).toBe('UNAUTHENTICATED');
    expect(none.text).not.toContain('/admin/v1/audit');
    // Neither a channel key nor the metrics token is an admin key.
    for (const key of [channelKey, TOKEN]) {
      const r = await get(withToken.port, '/admin/v1/openapi.json', `Bearer ${key}`);
      expect(r.status).toBe(403);
      expect(r.problem?.code).toBe('FORBIDDEN');
    }
  });
});
