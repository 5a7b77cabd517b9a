// What the scanner listens for under one selection of formats: every token (call openers, reasoning
// tokens, special tokens, code fences) with what it means, as one pattern, plus the prefixes of tokens
// (held back at the end of streamed text, since a token may still be arriving). Built once per selection.
import type { Family } from './family';
import type { Selection } from './registry';
import { HINTED_TOKENS, REASONING_ENDS, REASONING_PAIRS, SPECIAL_TOKENS } from './markup';
import { escapeRegExp } from './json-scan';

export type Handler =
  | { kind: 'family'; family: Family }
  | { kind: 'reasoning'; close: string }
  | { kind: 'reasoning_end' }
  | { kind: 'special' }
  | { kind: 'fence' };

export interface Matcher {
  re: RegExp;
  handlers: Map<string, Handler>;
  prefixes: Set<string>;
  longest: number;
}

export function matcher(handlers: Map<string, Handler>): Matcher {
  const tokens = [...handlers.keys()].sort((a, b) => b.length - a.length);
  const prefixes = new Set<string>();
  for (const t of tokens) for (let k = 1; k < t.length; k++) prefixes.add(t.slice(0, k));
  return {
    re: new RegExp(tokens.map(escapeRegExp).join('|'), 'g'),
    handlers,
    prefixes,
    longest: tokens.reduce((n, t) => Math.max(n, t.length), 1),
  };
}

export interface Matchers {
  handlers: Map<string, Handler>;
  main: Matcher;
  enders?: Matcher;
}

/** Building the matchers costs more than reading a short reply: they are built once per selection. */
const built = new Map<string, Matchers>();

export function matchersFor(selection: Selection): Matchers {
  const key = `${selection.families.map((f) => f.name).join(',')}|${selection.known ?? ''}`;
  let m = built.get(key);
  if (m) return m;
  const handlers = new Map<string, Handler>();
  for (const f of selection.families) for (const o of f.openers) handlers.set(o, { kind: 'family', family: f });
  for (const p of REASONING_PAIRS) handlers.set(p.open, { kind: 'reasoning', close: p.close });
  for (const t of REASONING_ENDS) handlers.set(t, { kind: 'reasoning_end' });
  for (const t of SPECIAL_TOKENS) if (!handlers.has(t)) handlers.set(t, { kind: 'special' });
  for (const h of HINTED_TOKENS) if (selection.known && h.formats.includes(selection.known)) handlers.set(h.token, { kind: 'special' });
  if (!handlers.has('```')) handlers.set('```', { kind: 'fence' });
  const enders = new Map<string, Handler>();
  for (const f of selection.families) if (f.endsReasoning) for (const o of f.openers) enders.set(o, { kind: 'family', family: f });
  m = { handlers, main: matcher(handlers), enders: enders.size ? matcher(enders) : undefined };
  built.set(key, m);
  return m;
}
