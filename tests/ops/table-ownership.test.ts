import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  allowedFor,
  interfaceKeys,
  OWNERS,
  snakeCase,
  tableOwners,
  tablesNamedIn,
  type Owner,
} from '../support/table-ownership.js';

const root = path.resolve(import.meta.dirname, '../..');
const owners = tableOwners(root);

/** A layer's source files as git sees them (tracked, or new and not ignored), its tests included. */
function sourcesOf(layer: Owner): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', `${layer}/`], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f.endsWith('.ts'));
}

/** Every table a layer names that belongs to another layer, as `file:line how table (owner)`. */
function violations(): string[] {
  const found: string[] = [];
  for (const { owner: layer } of OWNERS) {
    const allowed = allowedFor(layer, owners);
    for (const file of sourcesOf(layer)) {
      for (const m of tablesNamedIn(readFileSync(path.join(root, file), 'utf8'), owners)) {
        if (allowed.has(m.table)) continue;
        found.push(`${file}:${m.line} ${m.how} ${m.table} (${owners.get(m.table)})`);
      }
    }
  }
  return found;
}

describe('each layer names only its own tables and the shared ones', () => {
  it('finds no layer naming another layer’s table, in query builders or raw SQL', () => {
    expect(violations()).toEqual([]);
  });

  it('knows every table of the migrations, each owned by exactly one of shared and the layers', () => {
    const migrations = execFileSync('git', ['ls-files', '-z', 'migrations/'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f.endsWith('.sql'))
      .map((f) => readFileSync(path.join(root, f), 'utf8'))
      .join('\n');
    const created = [...migrations.matchAll(/create table (?:if not exists )?([a-z_][a-z0-9_]*)/gi)].map(
      (m) => m[1]!.toLowerCase(),
    );
    expect(new Set([...owners.keys()].map(snakeCase))).toEqual(new Set(created));
    // shared keeps the mechanisms only.
    expect([...owners].filter(([, o]) => o === 'shared').map(([t]) => t)).toEqual([
      'idempotencyKeys',
      'outbox',
      'appliedEvents',
      'consumerWatermarks',
      'hubIdentity',
    ]);
  });

  it('catches another layer’s table in every position it looks at', () => {
    const journey = allowedFor('journey-layer', owners);
    const named = (source: string) =>
      tablesNamedIn(source, owners)
        .filter((m) => !journey.has(m.table))
        .map((m) => `${m.line} ${m.how} ${m.table}`);
    const fixture = [
      "await db.selectFrom('orders').selectAll().execute();",
      "await tx.updateTable('reservations as r').set({ customerId: x }).execute();",
      "await db.selectFrom('customers').innerJoin('orderLines', 'orderLines.orderId', 'customers.id');",
      "await db.selectFrom(['customers', 'channelClients']).selectAll().execute();",
      'await sql`SELECT sum(refund_amount) FROM returns r JOIN order_lines l ON true`.execute(tx);',
      "await pool.query('UPDATE stock_levels SET reserved = 0');",
      "await db.with('x', (q) => q.selectFrom('customers').select('id')).deleteFrom('auditLog').execute();",
      "const fine = ['customer.erased', 'customers.id', 'outbox.position'];",
      'await sql`SELECT * FROM public.order_lines`.execute(tx);',
      'await sql`SELECT 1 FROM customers c, returns r`.execute(tx);',
      'await sql`DELETE FROM customers USING price_lists p`.execute(tx);',
      'await sql`COPY stock_movements TO STDOUT`.execute(tx);',
      "await db.executeQuery(CompiledQuery.raw('SELECT * FROM reservations'));",
      "await sql`SELECT * FROM ${sql.id('audit_log')}`.execute(tx);",
      "await sql`SELECT * FROM ${sql.table('audit_log')}`.execute(tx);",
      "await sql.raw('SELECT * FROM ' + 'prices').execute(tx);",
      "const T = 'orders';",
      'await db.selectFrom(T).selectAll().execute();',
      "await sql`SELECT ${sql.ref('order_lines.order_id')}, ${sql.ref('orders')}`.execute(tx);",
      "await sql`SELECT extract(epoch FROM created_at) FROM customers WHERE x <> 'FROM orders'`.execute(tx);",
    ].join('\n');
    expect(named(fixture)).toEqual([
      '1 query orders',
      '2 query reservations',
      '3 query orderLines',
      '3 reference orderLines',
      '4 query channelClients',
      '5 sql returns',
      '5 sql orderLines',
      '6 sql stockLevels',
      '7 query auditLog',
      '9 sql orderLines',
      '10 sql returns',
      '11 sql priceLists',
      '12 sql stockMovements',
      '13 sql reservations',
      '14 sql auditLog',
      '15 sql auditLog',
      '16 sql prices',
      '18 query orders',
      '19 sql orderLines',
    ]);
  });

  it('reads the table lists from the type files', () => {
    expect(interfaceKeys('export interface T {\n  a: A;\n  bC: B;\n}', 'T')).toEqual(['a', 'bC']);
    for (const { file, tables } of OWNERS)
      expect(interfaceKeys(readFileSync(path.join(root, file), 'utf8'), tables).length).toBeGreaterThan(0);
  });
});
