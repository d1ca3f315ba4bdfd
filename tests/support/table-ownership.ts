/**
 * @file The table-ownership scanner: which tables a layer's source names, read from the text alone (the
 * TypeScript syntax tree and the SQL inside its strings), never by running anything.
 *
 * It sees a table named as a literal: in a Kysely query-builder call, a `'table.column'` reference, raw SQL
 * (every table of FROM/JOIN comma lists, USING, COPY, INTO, UPDATE, TABLE, TRUNCATE, with or without a
 * `schema.` prefix or "quotes"), `sql.id`/`sql.table`/`sql.ref`, a `+` of literals, or a `const` of the same
 * file bound to one of those.
 *
 * What it still cannot see — names built at run time: a function parameter, a `let` or a computed value, a
 * `const` imported from another module or bound twice in the file, a name held in an object, array or map, a
 * `${…}` part of a template (read as `?`), a method called through an alias (`const q = sql.raw; q(…)`), or
 * SQL read from a file or the database. The layers' typed tables interfaces and review cover those.
 */
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

/**
 * SQL words a list of tables follows: `FROM a, b`, `JOIN x`, `INTO x`, `UPDATE x`, `TABLE x`, `TRUNCATE x`,
 * `USING x` (DELETE … USING, MERGE … USING), `COPY x`.
 */
const TABLE_WORDS = new Set(['from', 'join', 'into', 'update', 'table', 'truncate', 'using', 'copy']);

/** Words that end a table list rather than alias its last table (so `FROM a WHERE …` is not `a AS where`). */
const NOT_ALIAS = new Set(
  (
    'where join inner left right full cross natural on using set values select returning order group ' +
    'having limit offset union except intersect window for to from default do with lateral'
  ).split(' '),
);

/** A SQL text as words (unquoted, lower-cased), "quoted" identifiers, and single punctuation marks. */
function sqlTokens(text: string): { word: string; quoted: boolean }[] {
  const tokens: { word: string; quoted: boolean }[] = [];
  for (const m of text.matchAll(/'(?:[^']|'')*'|"((?:[^"]|"")+)"|([a-z_][a-z0-9_$]*)|(\S)/gi)) {
    if (m[1] !== undefined) tokens.push({ word: m[1].replaceAll('""', '"'), quoted: true });
    else if (m[2] !== undefined) tokens.push({ word: m[2].toLowerCase(), quoted: false });
    else tokens.push({ word: m[3] ?? "'", quoted: false }); // a string literal stands as one mark
  }
  return tokens;
}

/**
 * The table names in a SQL text: every table of the list after each word of TABLE_WORDS, `schema.` prefix
 * dropped (`FROM public.orders o, returns AS r` → orders, returns). A subquery (`FROM (SELECT …)`) names no
 * table itself; its own FROM does.
 */
export function sqlTableNames(text: string): string[] {
  const tokens = sqlTokens(text);
  const isName = (i: number) =>
    tokens[i] !== undefined && (tokens[i].quoted || /^[a-z_]/.test(tokens[i].word));
  const names: string[] = [];
  tokens.forEach((t, at) => {
    if (t.quoted || !TABLE_WORDS.has(t.word)) return;
    let i = at + 1;
    for (;;) {
      if (tokens[i]?.word === 'only' && !tokens[i]!.quoted) i++;
      if (!isName(i)) return;
      let name = tokens[i]!.word;
      i++;
      while (tokens[i]?.word === '.' && isName(i + 1)) {
        name = tokens[i + 1]!.word;
        i += 2;
      }
      names.push(name);
      if (tokens[i]?.word === 'as' && !tokens[i]!.quoted) i += 2;
      else if (isName(i) && (tokens[i]!.quoted || !NOT_ALIAS.has(tokens[i]!.word))) i++;
      if (tokens[i]?.word !== ',' || tokens[i]!.quoted) return;
      i++;
    }
  });
  return names;
}

/** Kysely's `sql.id(…)`, `sql.table(…)`, `sql.ref(…)`: identifiers given as strings. */
const SQL_IDENTIFIERS = new Set(['id', 'table', 'ref']);

/**
 * The tables `source` names, as far as its text shows them:
 * - the first argument of Kysely's query-builder methods (`selectFrom('orders')`, `'orders as o'`,
 *   `['a', 'b']`), and `'table.column'` reference strings;
 * - the text of raw SQL (sql`…` templates, `sql.raw(…)`, `CompiledQuery.raw(…)`, `.query(…)` strings): every
 *   table after FROM, JOIN, INTO, UPDATE, TABLE, TRUNCATE, USING or COPY, comma lists and `schema.` prefixes
 *   included (see sqlTableNames);
 * - the strings given to `sql.id`, `sql.table` and `sql.ref` (for `ref`, the part before the column).
 * Where a string is expected, a concatenation of literals (`'SELECT * FROM ' + 'prices'`) and an identifier
 * bound to such a value by a `const` anywhere in the same file count as the literal itself.
 * Names built at run time it cannot see (the file's header lists them). `known` maps every table's camelCase
 * name to anything; only known tables are reported.
 */
export function tablesNamedIn(source: string, known: ReadonlyMap<string, unknown>): TableMention[] {
  const bySnake = new Map([...known.keys()].map((t) => [snakeCase(t), t]));
  const file = ts.createSourceFile('source.ts', source, ts.ScriptTarget.Latest, true);
  const found: TableMention[] = [];
  const lineOf = (n: ts.Node) => file.getLineAndCharacterOfPosition(n.getStart(file)).line + 1;
  const add = (table: string | undefined, node: ts.Node, how: TableMention['how']) => {
    if (table !== undefined && known.has(table)) found.push({ table, line: lineOf(node), how });
  };
  // A name as Kysely or SQL may spell it: camelCase (through the CamelCasePlugin) or snake_case.
  const addEither = (name: string, node: ts.Node, how: TableMention['how']) =>
    add(known.has(name) ? name : bySnake.get(name.toLowerCase()), node, how);
  const sqlText = (text: string, node: ts.Node) => {
    for (const name of sqlTableNames(text)) addEither(name, node, 'sql');
  };
  const consts = constInitializers(file);
  const text = (e: ts.Expression) => literalText(e, consts, new Set());
  const isSqlTag = (e: ts.Expression) =>
    (ts.isIdentifier(e) && e.text === 'sql') ||
    (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'sql');
  const receiverIs = (e: ts.Expression, name: string) =>
    ts.isPropertyAccessExpression(e) &&
    ((ts.isIdentifier(e.expression) && e.expression.text === name) ||
      (ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === name));
  const visit = (node: ts.Node) => {
    if (ts.isTaggedTemplateExpression(node) && isSqlTag(node.tag)) sqlText(templateText(node.template), node);
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const first = node.arguments[0];
      const isSqlIdentifier =
        method !== undefined && SQL_IDENTIFIERS.has(method) && receiverIs(callee, 'sql');
      if (method && QUERY_METHODS.has(method) && first && !isSqlIdentifier) {
        const names = ts.isArrayLiteralExpression(first) ? first.elements : [first];
        for (const n of names) {
          const name = text(n);
          if (name !== undefined) add(name.split(/\s+as\s+/i)[0]!.trim(), n, 'query');
        }
      }
      const isRaw = method === 'raw' && (receiverIs(callee, 'sql') || receiverIs(callee, 'CompiledQuery'));
      if ((method === 'query' || isRaw) && first) {
        const raw = text(first);
        if (raw !== undefined) sqlText(raw, first);
      }
      if (isSqlIdentifier) {
        for (const arg of method === 'ref' ? node.arguments.slice(0, 1) : node.arguments) {
          const parts = text(arg)?.split('.');
          // sql.ref('table.column') names a table before its column; a bare sql.ref('column') none.
          for (const part of method === 'ref' ? (parts?.slice(0, -1) ?? []) : (parts ?? []))
            addEither(part.trim(), arg, 'sql');
        }
      }
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

/** A template's text, each `${…}` part read as `?` (what the database receives in its place). */
function templateText(t: ts.TemplateLiteral): string {
  return ts.isNoSubstitutionTemplateLiteral(t)
    ? t.text
    : [t.head.text, ...t.templateSpans.map((s) => s.literal.text)].join(' ? ');
}

/** The initializer of every `const name = …` of the file, by name (a name bound twice: neither, unsure). */
function constInitializers(file: ts.SourceFile): Map<string, ts.Expression | null> {
  const consts = new Map<string, ts.Expression | null>();
  const visit = (node: ts.Node) => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    )
      consts.set(node.name.text, consts.has(node.name.text) ? null : node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return consts;
}

/**
 * The string an expression is known to hold from the text alone: a literal, a template (`${…}` as `?`), a
 * `+` of such, an `as const`/parenthesised one, or an identifier bound to one by a `const` of the file.
 */
function literalText(
  e: ts.Expression,
  consts: ReadonlyMap<string, ts.Expression | null>,
  seen: Set<string>,
): string | undefined {
  if (ts.isStringLiteralLike(e)) return e.text;
  if (ts.isTemplateExpression(e)) return templateText(e);
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e))
    return literalText(e.expression, consts, seen);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = literalText(e.left, consts, seen);
    const right = left === undefined ? undefined : literalText(e.right, consts, seen);
    return right === undefined ? undefined : left! + right;
  }
  if (ts.isIdentifier(e) && !seen.has(e.text)) {
    const init = consts.get(e.text);
    return init ? literalText(init, consts, new Set([...seen, e.text])) : undefined;
  }
  return undefined;
}

/** The tables `layer` may name: its own and the shared ones. */
export function allowedFor(layer: Owner, owners: ReadonlyMap<string, Owner>): Set<string> {
  return new Set([...owners].filter(([, o]) => o === layer || o === 'shared').map(([t]) => t));
}
