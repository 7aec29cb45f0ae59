import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// src/ has no import cycle (issue 17): a module is loaded after everything it imports, so no module ever sees a
// half-initialised neighbour. Every import that exists at run time counts, static or lazy (`await import()`);
// `import type` disappears at compile time and is left out.

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The run-time imports of a module: `import x from`, `import { a } from` (not `import type`), `export … from`, `import()`. */
export function runtimeImports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const specs = [
    ...[...text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^import\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^export\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(path), s).replace(/\.js$/, '.ts'))
    .filter((p, i, all) => all.indexOf(p) === i);
}

/** Every cycle's first edge back to a module on the current path (depth-first), as a readable chain. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('the module graph of src/', () => {
  const graph = new Map(files(SRC).map((f) => [f, runtimeImports(f)]));

  it('is read from every module, and every relative import names a module that exists', () => {
    expect(graph.size).toBeGreaterThan(100);
    for (const [from, to] of graph) for (const t of to) expect(graph.has(t), `${relative(SRC, from)} imports ${relative(SRC, t)}`).toBe(true);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.map((p) => relative(SRC, p)).join(' → '))).toEqual([]);
  });

  it('the check finds a cycle when there is one', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c', 'a']]);
  });
});
