import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Who owns which table, read from the type files themselves (the keys of each layer's tables interface), so
 * the check cannot drift from the schema the code is typed against. `shared` owns the mechanism tables every
 * layer may name; each layer may name those and its own.
 */
export const OWNERS = [
  { owner: 'shared', file: 'shared/database/schema.ts', tables: 'SharedTables' },
  { owner: 'backoffice-layer', file: 'backoffice-layer/tables.ts', tables: 'BackofficeTables' },
  { owner: 'journey-layer', file: 'journey-layer/tables.ts', tables: 'JourneyTables' },
  { owner: 'channel-layer', file: 'channel-layer/tables.ts', tables: 'ChannelTables' },
] as const;

export type Owner = (typeof OWNERS)[number]['owner'];

/** A table named in a source file, where, and how (`query` builder, `sql` text, `reference` string). */
export interface TableMention {
  table: string;
  line: number;
  how: 'query' | 'sql' | 'reference';
}

/** `orderLines` → `order_lines`: the name PostgreSQL knows (Kysely's CamelCasePlugin maps the two). */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The property names of interface `name` in a TypeScript source text. */
export function interfaceKeys(source: string, name: string): string[] {
  const file = ts.createSourceFile('tables.ts', source, ts.ScriptTarget.Latest, true);
  for (const s of file.statements) {
    if (ts.isInterfaceDeclaration(s) && s.name.text === name)
      return s.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : []));
  }
  throw new Error(`no interface ${name} in the source`);
}

/** Every table (camelCase) and its owner, from the type files under `root`. */
export function tableOwners(root: string): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const o of OWNERS) {
    for (const t of interfaceKeys(readFileSync(path.join(root, o.file), 'utf8'), o.tables)) {
      const before = owners.get(t);
      if (before) throw new Error(`table ${t} is declared by both ${before} and ${o.owner}`);
      owners.set(t, o.owner);
    }
  }
  return owners;
}

const QUERY_METHODS = new Set([
  'selectFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'using',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'fullJoin',
  'crossJoin',
  'innerJoinLateral',
  'leftJoinLateral',
  'with',
  'withRecursive',
  'withMaterialized',
  'table',
]);

/** SQL words a table name follows: `FROM x`, `JOIN x`, `INTO x`, `UPDATE x`, `TABLE x`, `TRUNCATE x`. */
const SQL_TABLE = /\b(?:from|join|into|update|table|truncate)\s+(?:only\s+)?("?)([a-z_][a-z0-9_]*)\1/gi;

/**
 * The tables `source` names, as far as the text shows them: the first argument of Kysely's query-builder
 * methods (`selectFrom('orders')`, `'orders as o'`, `['a', 'b']`), `'table.column'` reference strings, and
 * the text of raw SQL (sql`…` templates, `sql.raw(…)`, `.query(…)` strings) after FROM, JOIN, INTO, UPDATE,
 * TABLE or TRUNCATE. `known` maps every table's camelCase name to anything; only known tables are reported.
 */
export function tablesNamedIn(source: string, known: ReadonlyMap<string, unknown>): TableMention[] {
  const bySnake = new Map([...known.keys()].map((t) => [snakeCase(t), t]));
  const file = ts.createSourceFile('source.ts', source, ts.ScriptTarget.Latest, true);
  const found: TableMention[] = [];
  const lineOf = (n: ts.Node) => file.getLineAndCharacterOfPosition(n.getStart(file)).line + 1;
  const add = (table: string | undefined, node: ts.Node, how: TableMention['how']) => {
    if (table !== undefined && known.has(table)) found.push({ table, line: lineOf(node), how });
  };
  const sqlText = (text: string, node: ts.Node) => {
    for (const m of text.matchAll(SQL_TABLE)) add(bySnake.get(m[2]!.toLowerCase()), node, 'sql');
  };
  const templateText = (t: ts.TemplateLiteral) =>
    ts.isNoSubstitutionTemplateLiteral(t)
      ? t.text
      : [t.head.text, ...t.templateSpans.map((s) => s.literal.text)].join(' ? ');
  const isSqlTag = (e: ts.Expression) =>
    (ts.isIdentifier(e) && e.text === 'sql') ||
    (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'sql');
  const visit = (node: ts.Node) => {
    if (ts.isTaggedTemplateExpression(node) && isSqlTag(node.tag)) sqlText(templateText(node.template), node);
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const first = node.arguments[0];
      if (method && QUERY_METHODS.has(method) && first) {
        const names = ts.isArrayLiteralExpression(first) ? first.elements : [first];
        for (const n of names)
          if (ts.isStringLiteralLike(n)) add(n.text.split(/\s+as\s+/i)[0]!.trim(), n, 'query');
      }
      const raw =
        (method === 'query' || (method === 'raw' && isSqlTag(callee))) &&
        first &&
        ts.isStringLiteralLike(first);
      if (raw) sqlText(first.text, first);
      if ((method === 'query' || method === 'raw') && first && ts.isTemplateExpression(first))
        sqlText(templateText(first), first);
    }
    if (ts.isStringLiteralLike(node)) {
      const ref = /^([a-z][A-Za-z0-9]*)\.(?:[a-z][A-Za-z0-9]*|\*)$/.exec(node.text);
      if (ref) add(ref[1], node, 'reference');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The tables `layer` may name: its own and the shared ones. */
export function allowedFor(layer: Owner, owners: ReadonlyMap<string, Owner>): Set<string> {
  return new Set([...owners].filter(([, o]) => o === layer || o === 'shared').map(([t]) => t));
}
