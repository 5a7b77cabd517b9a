// Orchestra's own ESLint rules (the `orchestra/` plugin in eslint.config.mjs).
//
// `no-import-cycle`: no file may reach itself through relative imports — `import type` included.
// import-x/no-cycle skips type-only imports, yet a type circle is still a circle in the design (the
// two that once sat in src/extension were of that kind). The module graph is read once per lint run
// with TypeScript's import scanner and split into strongly connected components (Tarjan, linear in
// the graph), so the rule costs the same however many files import each other.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['.ts', '.tsx', '.d.ts', '/index.ts'];

/** file → resolved relative imports; one scan per file per process. */
const importsOf = new Map();

function resolveImport(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base, ...EXTENSIONS.map((e) => base + e)]) {
    if (/\.tsx?$/.test(candidate) && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function scan(file) {
  let deps = importsOf.get(file);
  if (deps) return deps;
  deps = [];
  importsOf.set(file, deps);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return deps;
  }
  const info = ts.preProcessFile(text, true, true);
  for (const ref of info.importedFiles) {
    const target = resolveImport(file, ref.fileName);
    if (target && !deps.some((d) => d.target === target)) deps.push({ target, spec: ref.fileName });
  }
  return deps;
}

/** The strongly connected component of each file reachable from `start` (iterative Tarjan). */
const componentOf = new Map();

function computeComponents(start) {
  if (componentOf.has(start)) return;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  let counter = 0;
  const work = [{ file: start, next: 0 }];
  index.set(start, counter);
  low.set(start, counter++);
  stack.push(start);
  onStack.add(start);
  while (work.length) {
    const frame = work[work.length - 1];
    const deps = scan(frame.file);
    if (frame.next < deps.length) {
      const { target } = deps[frame.next++];
      if (componentOf.has(target)) continue; // finished in an earlier run of this function
      if (!index.has(target)) {
        index.set(target, counter);
        low.set(target, counter++);
        stack.push(target);
        onStack.add(target);
        work.push({ file: target, next: 0 });
      } else if (onStack.has(target)) {
        low.set(frame.file, Math.min(low.get(frame.file), index.get(target)));
      }
      continue;
    }
    work.pop();
    if (work.length) {
      const parent = work[work.length - 1].file;
      low.set(parent, Math.min(low.get(parent), low.get(frame.file)));
    }
    if (low.get(frame.file) === index.get(frame.file)) {
      const component = new Set();
      let f;
      do {
        f = stack.pop();
        onStack.delete(f);
        component.add(f);
      } while (f !== frame.file);
      for (const member of component) componentOf.set(member, component);
    }
  }
}

/** A shortest path from `from` back to `to` inside one component, for the message. */
function pathBack(from, to, component) {
  const prev = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length) {
    const f = queue.shift();
    if (f === to) break;
    for (const { target } of scan(f)) {
      if (component.has(target) && !prev.has(target)) {
        prev.set(target, f);
        queue.push(target);
      }
    }
  }
  const path = [];
  for (let f = to; f !== undefined; f = prev.get(f)) path.unshift(f);
  return path;
}

const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between project files, type-only imports included.' },
    schema: [],
    messages: { cycle: 'Import cycle: {{path}}. Move the shared piece into a module both can import.' },
  },
  create(context) {
    const file = context.filename;
    const check = (node, spec) => {
      const target = resolveImport(file, spec);
      if (!target) return;
      computeComponents(file);
      const component = componentOf.get(file);
      if (!component || !component.has(target)) return;
      const cwd = context.cwd;
      const path = [file, ...pathBack(target, file, component)].map((f) => relative(cwd, f)).join(' → ');
      context.report({ node, messageId: 'cycle', data: { path } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && typeof node.source.value === 'string' && check(node, node.source.value),
    };
  },
};

export default { meta: { name: 'orchestra' }, rules: { 'no-import-cycle': noImportCycle } };
