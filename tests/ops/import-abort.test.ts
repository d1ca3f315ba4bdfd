import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../support/test-context.js';

const ADMIN_KEY = 'test-admin-key-abort-0123456789abcdef';

/**
 * Sends a request head announcing `contentLength` bytes, then `body`, and closes the socket after
 * `closeAfterMs` milliseconds.
 */
function abortedUpload(
  port: number,
  path: string,
  upload: { contentLength: number; body: string; closeAfterMs: number },
): Promise<void> {
  const { contentLength, body, closeAfterMs } = upload;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        [
          `POST ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          `Authorization: Bearer ${ADMIN_KEY}`,
          'Content-Type: text/csv',
          `Content-Length: ${contentLength}`,
          '',
          body,
        ].join('\r\n'),
      );
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, closeAfterMs);
    });
    socket.on('error', reject);
  });
}

describe('an import upload the client cuts off', () => {
  let ctx: TestContext;
  let hub: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let port = 0;

  beforeAll(async () => {
    ctx = await createTestContext();
    // `start`: the API and the worker in one process, as the hub runs by default.
    hub = spawn(process.execPath, ['bin/omnihub.js', 'start'], {
      env: {
        ...process.env,
        DATABASE_URL: ctx.databaseUrl,
        REDIS_URL: ctx.redisUrl,
        OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
        OMNIHUB_ADMIN_KEY: ADMIN_KEY,
        LOG_LEVEL: 'warn',
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    hub.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    hub.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    exited = new Promise((resolve) => hub.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/listening:\s+http:\/\/[\w.]+:(\d+)\//.test(output)) {
      if (Date.now() > deadline) throw new Error(`the hub did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    port = Number(/listening:\s+http:\/\/[\w.]+:(\d+)\//.exec(output)![1]);
  }, 40_000);

  afterAll(async () => {
    if (hub.exitCode === null) {
      hub.kill('SIGTERM');
      await exited;
    }
    await ctx.close();
  });

  it('fails the import with a reason, logs it, and the hub keeps serving', async () => {
    await abortedUpload(port, '/admin/v1/imports?kind=stock', {
      contentLength: 1000,
      body: 'sku,locationId,onHand\r\n',
      closeAfterMs: 500,
    });
    const get = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    let imports: Array<{ id: string; status: string }> = [];
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((r) => setTimeout(r, 100));
      if (hub.exitCode !== null) break;
      imports = ((await (await get('/admin/v1/imports')).json()) as { imports: typeof imports }).imports;
    } while (imports[0]?.status !== 'FAILED' && Date.now() < deadline);
    expect(hub.exitCode).toBeNull();
    expect((await get('/healthz')).status).toBe(200);
    expect(imports).toHaveLength(1);
    const one = (await (await get(`/admin/v1/imports/${imports[0]!.id}`)).json()) as {
      import: Record<string, unknown>;
    };
    expect(one.import).toMatchObject({
      status: 'FAILED',
      processedRows: 0,
      okRows: 0,
      errorRows: 0,
      revision: null,
      errors: [
        { row: 2, code: 'BAD_USER_INPUT', message: expect.stringMatching(/cut off after 23 of 1000 bytes/) },
      ],
    });
    expect(one.import.finishedAt).not.toBeNull();
    expect(output).toMatch(/import failed/);
  }, 30_000);
});
