import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../support/test-context.js';

/** Writes a products CSV of `rows` rows (large enough that an import is still running when it is stopped). */
async function writeProducts(file: string, rows: number, prefix: string): Promise<void> {
  const out = createWriteStream(file);
  out.write('sku,name,category,vatRate\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${prefix}-${String(i).padStart(7, '0')},Muts ${i},accessories,21\n`))
      await new Promise((r) => out.once('drain', r));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

// Ctrl-C (or a SIGTERM from a supervisor) during `omnihub import` stops reading, records the import FAILED
// with why, says so, and exits non-zero; the batches already committed stay.
describe('omnihub import stopped by a signal', () => {
  let ctx: TestContext;
  let dir: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(path.join(tmpdir(), 'omnihub-import-signal-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await ctx.close();
  });

  it.each([
    ['SIGINT', 130, 'SI'],
    ['SIGTERM', 143, 'ST'],
  ] as const)(
    '%s: exit %i, the import FAILED "interrupted", committed rows stay',
    async (signal, exitCode, prefix) => {
      const file = path.join(dir, `products-${prefix}.csv`);
      await writeProducts(file, 400_000, `NK-${prefix}`);
      const child = spawn(process.execPath, ['bin/omnihub.js', 'import', file], {
        env: {
          ...process.env,
          DATABASE_URL: ctx.databaseUrl,
          REDIS_URL: ctx.redisUrl,
          OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

      // Under way: its record says RUNNING with a first batch committed.
      const running = async () =>
        ctx.deps.db
          .selectFrom('imports')
          .select('id')
          .where('source', '=', file)
          .where('status', '=', 'RUNNING')
          .where('processedRows', '>', 0)
          .executeTakeFirst();
      while (!(await running())) {
        if (child.exitCode !== null)
          throw new Error(`the import ended before it could be stopped:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill(signal);
      const code = await exited;
      expect({ code, output }).toMatchObject({ code: exitCode });

      expect(output).toMatch(
        new RegExp(
          `Interrupted by ${signal} at line \\d+: the import is marked FAILED ` +
            `\\(interrupted\\); the batches committed before stay`,
        ),
      );
      const record = await ctx.deps.db
        .selectFrom('imports')
        .selectAll()
        .where('source', '=', file)
        .executeTakeFirstOrThrow();
      expect(record.status).toBe('FAILED');
      expect(record.finishedAt).not.toBeNull();
      expect(record.errors.at(-1)).toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(new RegExp(`^interrupted \\(${signal}\\)`)),
      });
      expect(Number(record.processedRows)).toBeLessThan(400_000);
      const landed = await ctx.deps.db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('sku', 'like', `NK-${prefix}-%`)
        .executeTakeFirstOrThrow();
      expect(Number(landed.n)).toBe(Number(record.okRows));
      expect(Number(landed.n)).toBeGreaterThan(0);
    },
    120_000,
  );
});
