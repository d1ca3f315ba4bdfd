import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/** The Node line the project ships and supports, as .nvmrc names it (a major version: "26"). */
const line = readFileSync('.nvmrc', 'utf8').trim();
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

describe('the Node line', () => {
  it('is one major version', () => {
    expect(line).toMatch(/^\d+$/);
  });

  it('is said the same in package.json engines, @types/node, the Dockerfile, the README and CI', () => {
    expect(pkg.engines.node).toBe(`>=${line}`);
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^${line}\\.`));
    const froms = readFileSync('Dockerfile', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(new RegExp(`^FROM node:${line}-`));
    // Every "Node.js N" / "Node N" in the README names the line.
    const said = [...readFileSync('README.md', 'utf8').matchAll(/\bNode(?:\.js)? (\d+)/g)].map((m) => m[1]);
    expect(said.length).toBeGreaterThan(0);
    expect(new Set(said)).toEqual(new Set([line]));
    // CI runs the suite on the line .nvmrc names.
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/NODE_LINE="\$\(tr -d '\[:space:\]' < \.nvmrc\)"/);
  });
});
