// Shared by the per-format tests: each format file lists its own replies (well-formed, malformed, with
// reasoning); this runs them through the batch parse, through the stream in pieces of several sizes
// (same result, call announced before it ends, no opening token in the text), and with the format
// set explicitly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ToolCallStream,
  parseToolCalls,
  type EndInfo,
  type ParseOptions,
  type ParseResult,
  type ToolCallFormat,
} from '../../../../src/core/toolcalls';

export type Call = [name: string, args: Record<string, unknown>];

export interface Good {
  name: string;
  reply: string;
  calls: Call[];
  /** The visible text expected (default ''). */
  text?: string;
  reasoning?: string;
  /** The ids the model gave, in order (undefined for a call without one). */
  ids?: Array<string | undefined>;
  opts?: ParseOptions;
}

export interface Bad {
  name: string;
  reply: string;
  end?: EndInfo;
  opts?: ParseOptions;
  /** Each call's name and problem kind (undefined: the call is fine). */
  calls?: Array<[name: string, problem: 'cut' | 'unreadable' | undefined]>;
  /** Problems that belong to no call. */
  errors?: RegExp[];
  text?: string;
  /** The problem message must say this. */
  message?: RegExp;
}

export function read(reply: string, opts: ParseOptions = {}, end: EndInfo = {}): ParseResult {
  return parseToolCalls(reply, opts, end);
}

export function callsOf(r: ParseResult): Call[] {
  return r.calls.map((c) => [c.name, c.arguments]);
}

/** Feeds the reply in pieces of `size` characters; returns the events and the result. */
export function streamed(reply: string, size: number, opts: ParseOptions = {}, end: EndInfo = {}) {
  const s = new ToolCallStream(opts);
  const events = [];
  for (let i = 0; i < reply.length; i += size) events.push(...s.push(reply.slice(i, i + size)));
  const { events: last, ...result } = s.end(end);
  events.push(...last);
  return { events, result };
}

const same = (r: ParseResult) => ({
  calls: r.calls.map((c) => ({ name: c.name, arguments: c.arguments, source: c.source, problem: c.problem?.kind })),
  text: r.text,
  reasoning: r.reasoning,
  errors: r.errors,
});

/** Tokens that must never reach the visible text of a well-formed reply in this format. */
export function checkGood(format: ToolCallFormat, cases: Good[], markers: string[]): void {
  for (const c of cases) {
    test(`${format}: ${c.name}`, () => {
      const r = read(c.reply, c.opts);
      assert.deepEqual(callsOf(r), c.calls);
      assert.deepEqual(
        r.calls.map((x) => x.source),
        c.calls.map(() => format),
        'every call is read as this format',
      );
      assert.equal(r.text, c.text ?? '');
      assert.equal(r.reasoning, c.reasoning ?? '');
      assert.deepEqual(r.errors, []);
      assert.ok(
        r.calls.every((x) => !x.problem),
        'no call has a problem',
      );
      if (c.ids)
        assert.deepEqual(
          r.calls.map((x) => (x.id.startsWith('call_') ? undefined : x.id)),
          c.ids,
        );
      for (const m of markers) assert.ok(!r.text.includes(m), `the text shows ${m}`);
      // Set explicitly, the format reads the same reply the same way.
      assert.deepEqual(same(read(c.reply, { ...c.opts, format })), same(r));
    });
    test(`${format}: ${c.name} (streamed)`, () => {
      const whole = read(c.reply, c.opts);
      for (const size of [1, 2, 5, 13]) {
        const { events, result } = streamed(c.reply, size, c.opts);
        assert.deepEqual(same(result), same(whole), `pieces of ${size}`);
        const shown = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text);
        for (const m of markers) assert.ok(!shown.join('').includes(m), `pieces of ${size}: ${m} flashed in the text`);
        const starts = events.filter((e) => e.type === 'call_start') as Array<{ index: number; name: string }>;
        assert.deepEqual(
          starts.map((e) => e.name),
          c.calls.map(([n]) => n),
          `pieces of ${size}: every call announced once, in order`,
        );
      }
    });
  }
}

export function checkBad(format: ToolCallFormat, cases: Bad[]): void {
  for (const c of cases) {
    test(`${format} malformed: ${c.name}`, () => {
      const r = read(c.reply, c.opts, c.end);
      if (c.calls)
        assert.deepEqual(
          r.calls.map((x) => [x.name, x.problem?.kind]),
          c.calls,
        );
      for (const x of r.calls) if (x.problem) assert.deepEqual(x.arguments, {}, 'a call with a problem carries no arguments to run');
      if (c.message) assert.match(r.calls.find((x) => x.problem)?.problem?.message ?? '', c.message);
      if (c.errors) {
        assert.equal(r.errors.length, c.errors.length, JSON.stringify(r.errors));
        c.errors.forEach((re, i) => assert.match(r.errors[i], re));
      }
      if (c.text !== undefined) assert.equal(r.text, c.text);
      // Streamed in small pieces, the verdict is the same.
      const { result } = streamed(c.reply, 3, c.opts, c.end);
      assert.deepEqual(same(result), same(r));
    });
  }
}

export const LIMIT: EndInfo = { finishReason: 'length', maxTokens: 256 };
