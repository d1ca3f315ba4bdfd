/**
 * `npx tsx scripts/code-shape.ts [--top N]`: the figures a code review asks for, measured the same way every
 * time — lines over 110 and over 120 characters (source and tests apart), the largest files and the largest
 * functions (function declarations, methods, function expressions and arrow functions, by their lines from
 * signature to closing brace, nested ones counted in their own right). Reads the files git tracks; writes
 * nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const { values } = parseArgs({ options: { top: { type: 'string', default: '8' } } });
const top = Number(values.top);

const files = execFileSync('git', ['ls-files', '*.ts', '*.tsx', '*.js', '*.mjs'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && !f.startsWith('dist/'));
const isTest = (f: string) => f.startsWith('tests/');

interface Sized {
  name: string;
  lines: number;
}
const overLines = { source: { 110: 0, 120: 0 }, tests: { 110: 0, 120: 0 } };
let sourceLines = 0;
const fileSizes: Sized[] = [];
const functionSizes: Sized[] = [];

function functionName(node: ts.Node): string {
  if (
    (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node)) &&
    node.name
  )
    return node.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const bucket = isTest(file) ? overLines.tests : overLines.source;
  for (const line of lines) {
    if (line.length > 110) bucket[110] += 1;
    if (line.length > 120) bucket[120] += 1;
  }
  if (isTest(file)) continue;
  sourceLines += lines.length;
  fileSizes.push({ name: file, lines: lines.length });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      functionSizes.push({ name: `${file}:${start + 1} ${functionName(node)}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const largest = (items: Sized[]) =>
  [...items]
    .sort((a, b) => b.lines - a.lines)
    .slice(0, top)
    .map((s) => `  ${String(s.lines).padStart(5)}  ${s.name}`)
    .join('\n');

process.stdout.write(
  [
    `source: ${fileSizes.length} files, ${sourceLines} lines; ` +
      `lines over 110: ${overLines.source[110]}, over 120: ${overLines.source[120]}`,
    `tests: lines over 110: ${overLines.tests[110]}, over 120: ${overLines.tests[120]}`,
    `largest files:\n${largest(fileSizes)}`,
    `largest functions:\n${largest(functionSizes)}`,
    '',
  ].join('\n'),
);
