import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { upsertLocation, upsertProduct } from '../../backoffice-layer/index.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

/**
 * Runs `omnihub import <args>` as a real process against this file's database; resolves with its exit code
 * and output.
 */
function omnihubImport(
  ctx: TestContext,
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/omnihub.js', 'import', ...args], {
    env: {
      ...process.env,
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      OMNIHUB_REDIS_PREFIX: ctx.redisPrefix,
      LOG_LEVEL: 'warn',
    },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(stdin);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('omnihub import reports bad rows as the REST import does', () => {
  let ctx: TestContext;
  const dir = `/tmp/omnihub-cli-import-${process.pid}`;
  const onHand = async (sku: string) =>
    (
      await ctx.deps.db
        .selectFrom('stockLevels')
        .select('onHand')
        .where('sku', '=', sku)
        .where('locationId', '=', 'ams-01')
        .executeTakeFirst()
    )?.onHand ?? null;

  beforeAll(async () => {
    ctx = await createTestContext();
    await mkdir(dir, { recursive: true });
    await upsertLocation(ctx.deps, 'ams-01', { name: 'Amsterdam', kind: 'STORE', fulfilsOnline: false });
    for (const sku of ['NK-ACC-MUTS-NAVY', 'NK-ACC-MUTS-OCHRE', 'NK-ACC-MUTS-GREY']) {
      await upsertProduct(ctx.deps, sku, {
        name: `Muts ${sku}`,
        category: 'accessories',
        vatRate: 21,
        attributes: {},
        status: 'ACTIVE',
      });
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await ctx.close();
  });

  it(
    'a short row and a quote left open are reported with ' + 'their lines; the good rows land; exit 2',
    async () => {
      await writeFile(
        `${dir}/stock.csv`,
        'sku,locationId,onHand\nNK-ACC-MUTS-NAVY,ams-01,5\nNK-ACC-MUTS-OCHRE,ams-01\n' +
          'NK-ACC-MUTS-GREY,ams-01,7\n"NK-ACC-MUTS-OCHRE,ams-01,1\n',
      );
      const run = await omnihubImport(ctx, [`${dir}/stock.csv`]);
      expect(run.output).toMatch(/4 rows — 2 changed, 0 unchanged, 2 rejected/);
      expect(run.output).toMatch(/line 3: CSV: 2 fields where the header has 3 \(sku,locationId,onHand\)/);
      expect(run.output).toMatch(/line 5: a quoted field opened on this line is never closed/);
      expect(run.code).toBe(2);
      expect([
        await onHand('NK-ACC-MUTS-NAVY'),
        await onHand('NK-ACC-MUTS-OCHRE'),
        await onHand('NK-ACC-MUTS-GREY'),
      ]).toEqual([5, null, 7]);
    },
    30_000,
  );

  const importCount = async () =>
    Number(
      (
        await ctx.deps.db
          .selectFrom('imports')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it(
    'a missing file, a folder and an empty file are refused ' + 'up front, recording no import; exit 1',
    async () => {
      const before = await importCount();
      await mkdir(`${dir}/stock-dir.csv`, { recursive: true });
      await writeFile(`${dir}/stock-empty.csv`, '');
      for (const [file, said] of [
        ['/nonexistent.csv', 'No such file: /nonexistent.csv'],
        ['/nonexistent-stock.csv', 'No such file: /nonexistent-stock.csv'],
        [`${dir}/stock-dir.csv`, `${dir}/stock-dir.csv is a folder, not a file`],
        [`${dir}/stock-empty.csv`, `${dir}/stock-empty.csv is empty: there is nothing to import`],
      ]) {
        const run = await omnihubImport(ctx, [file!]);
        expect(run).toMatchObject({ code: 1, output: expect.stringContaining(`omnihub: ${said}`) });
        expect(run.output).not.toMatch(/ENOENT|Cannot tell/);
      }
      expect(await importCount()).toBe(before);
    },
    60_000,
  );

  it('a file with a header only imports nothing and says so; exit 1', async () => {
    await writeFile(`${dir}/stock-header.csv`, 'sku,locationId,onHand\n');
    const run = await omnihubImport(ctx, [`${dir}/stock-header.csv`]);
    expect(run.output).toContain(
      `${dir}/stock-header.csv holds no rows (only a header or blank lines): nothing was imported`,
    );
    expect(run.code).toBe(1);
  }, 30_000);

  it('- reads standard input, given --kind and --format; without them it is refused in words', async () => {
    const run = await omnihubImport(
      ctx,
      ['-', '--kind', 'stock', '--format', 'csv'],
      'sku,locationId,onHand\nNK-ACC-MUTS-NAVY,ams-01,9\n',
    );
    expect(run.output).toContain('Importing stock from standard input (csv)');
    expect(run.output).toMatch(/1 rows — 1 changed/);
    expect(run.code).toBe(0);
    expect(await onHand('NK-ACC-MUTS-NAVY')).toBe(9);
    const refused = await omnihubImport(ctx, ['-'], '');
    expect(refused).toMatchObject({
      code: 1,
      output: expect.stringContaining('Standard input (-) has no name to tell its kind and format from'),
    });
  }, 30_000);
});
