// Where each configuration key lives, and the nearest known key for one that is not: the "did you
// mean" of a misspelt setting. It walks the zod schema itself, so a key added there is known here
// at once, with nothing to keep in step by hand.
import type { z } from 'zod';

type Schema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
}

function defOf(s: Schema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema with defaults, optionals and pipes taken off. */
function unwrap(s: Schema): Schema {
  for (let cur = s; ;) {
    const d = defOf(cur);
    if (d.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(d.type)) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

/** The schema at a path of the value (object keys and array indices); undefined off the schema. */
export function schemaAt(root: Schema, path: ReadonlyArray<PropertyKey>): Schema | undefined {
  let cur: Schema | undefined = root;
  for (const seg of path) {
    if (!cur) return undefined;
    const d = defOf(unwrap(cur));
    if (typeof seg === 'number') cur = d.type === 'array' ? d.element : undefined;
    else if (d.type === 'object') cur = d.shape?.[String(seg)];
    else if (d.type === 'record') cur = d.valueType;
    else return undefined;
  }
  return cur;
}

/** The keys an object schema allows; undefined when the schema is no object. */
export function objectKeys(schema: Schema | undefined): string[] | undefined {
  if (!schema) return undefined;
  const d = defOf(unwrap(schema));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : undefined;
}

/**
 * Every key of the schema as a path: objects are walked into, an array's elements appear as `[]`
 * (`models[].baseUrl`), records (free-form maps) end the walk.
 */
export function keyPaths(root: Schema): string[][] {
  const out: string[][] = [];
  const walk = (s: Schema, prefix: string[]) => {
    const d = defOf(unwrap(s));
    if (d.type === 'array' && d.element) return walk(d.element, [...prefix, '[]']);
    if (d.type !== 'object' || !d.shape) return;
    for (const [k, v] of Object.entries(d.shape)) {
      out.push([...prefix, k]);
      walk(v, [...prefix, k]);
    }
  };
  walk(root, []);
  return out;
}

/** `models[].baseUrl` style, the way a user finds a key in the docs. */
export function formatKeyPath(path: readonly string[]): string {
  return path.reduce((s, p) => (p === '[]' ? `${s}[]` : s ? `${s}.${p}` : p), '');
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array<number>(n).fill(0)]);
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}

/** How far apart two names may be and still be taken for one another. */
function closeEnough(typed: string, known: string): boolean {
  const a = typed.toLowerCase();
  const b = known.toLowerCase();
  if (a === b) return true;
  // A dropped or added word end ("maxDollars" for "maxDollarsPerTask") is a common slip too.
  if (a.length >= 4 && (b.startsWith(a) || a.startsWith(b))) return true;
  return editDistance(a, b) <= Math.max(1, Math.floor(Math.max(a.length, b.length) / 3));
}

/** The closest of `candidates` to `typed`, when one is close enough to be what was meant. */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    if (!closeEnough(typed, c)) continue;
    const distance = editDistance(typed.toLowerCase(), c.toLowerCase());
    if (!best || distance < best.distance) best = { name: c, distance };
  }
  return best?.name;
}

/**
 * What to tell a user who wrote `key` in the object at `objectPath`: the nearest key of that object,
 * else the same key where it does belong elsewhere (`maxTurns` at the top → `budget.maxTurns`), else
 * the keys the object has.
 */
export function unknownKeyMessage(root: Schema, objectPath: ReadonlyArray<PropertyKey>, key: string): string {
  const here = objectKeys(schemaAt(root, objectPath)) ?? [];
  // A dotted key: written nested-file style ("budget.maxTurns"), or settings style with a typo in
  // the prefix ("orchestr.privacyMode").
  const dotted = key.split('.');
  if (dotted.length > 1) {
    const prefixTypo = objectPath.length === 0 && closeEnough(dotted[0], 'orchestra') && dotted[0] !== 'orchestra';
    const rest = prefixTypo ? dotted.slice(1) : dotted;
    if (schemaAt(root, [...objectPath, ...rest])) {
      if (prefixTypo) return `unknown key "${key}"; did you mean "orchestra.${rest.join('.')}"?`;
      const nested = rest.map((p) => `"${p}"`).join(' → ');
      return `unknown key "${key}"; write it nested (${nested})${objectPath.length ? '' : ` or as "orchestra.${rest.join('.')}"`}`;
    }
  }
  const near = closest(key, here);
  if (near) return `unknown key "${key}"; did you mean "${near}"?`;
  const elsewhere = keyPaths(root).filter((p) => p.length > 1 && p[p.length - 1].length > 2 && closeEnough(key, p[p.length - 1]));
  if (elsewhere.length === 1) return `unknown key "${key}" here; did you mean "${formatKeyPath(elsewhere[0])}"?`;
  const list = here.length > 12 ? `${here.slice(0, 12).join(', ')}, …` : here.join(', ');
  return `unknown key "${key}"${list ? `; the keys here are: ${list}` : ''}`;
}
