// Small formatting and DOM helpers shared by the panel's views. Number formats live in src/core/format.ts
// (the engine process and the extension use them too) and are re-exported here.
export { formatBytes, formatDollars, formatMs, formatTokens } from '../../src/core/format';

// ANSI escape sequences (colours, cursor moves, OSC titles) and other C0 control characters turn into
// garbage or worse in HTML; tool output and model text are cleaned before they are shown.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function cleanText(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
}

export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null>;

/** Creates an element; attributes set with setAttribute (never innerHTML), children appended as nodes or text. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Compact one-line form of tool arguments for a card's summary line. */
export function argsSummary(args: unknown, max = 140): string {
  let s: string;
  if (args && typeof args === 'object' && !Array.isArray(args)) {
    s = Object.entries(args as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))}`)
      .join(', ');
  } else {
    s = JSON.stringify(args) ?? String(args);
  }
  s = cleanText(s).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function prettyArgs(args: unknown): string {
  try {
    return cleanText(JSON.stringify(args, null, 2) ?? String(args));
  } catch {
    return cleanText(String(args));
  }
}
