// Tool-call parsing in linear time: the cost per byte of a 2 MB reply against a 1 KB one of the same
// make-up (prose, calls in several formats, a code block), a 300 KB turn of 5,000 calls against
// JSON.parse of the same calls, and the same turn streamed in small pieces against read whole.
import { ToolCallStream, parseToolCalls } from '../../src/core/toolcalls';
import { median, ms, now, ratio, type Bench, type Row } from './util';

/** One unit of a mixed reply (about 1 KB): prose, a Hermes call, an example in a code block, a Mistral call. */
function unit(i: number): string {
  return (
    `Step ${i}: the configuration loader reads every entry, validates it against the schema and keeps the ones that pass; ` +
    'entries that fail are reported with the path of the field that is wrong, so the user can fix them. ' +
    `<tool_call>\n{"name": "read_file", "arguments": {"path": "src/core/config-${i}.ts", "start": ${i}, "end": ${i + 40}}}\n</tool_call>\n` +
    'For reference, a call looks like this:\n```json\n{"name": "search", "arguments": {"q": "example"}}\n```\n' +
    `[TOOL_CALLS]search[ARGS]{"q": "parseConfig ${i}", "limit": 5}\n` +
    'Then the orchestrator compares the two results and decides whether another lookup is needed before it answers. '
  );
}

function reply(bytes: number): string {
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += unit(i);
  return out.slice(0, Math.max(bytes, unit(0).length));
}

/**
 * Median time per run of each function, in ms: they are measured alternately (A B, B A, …) so that
 * drift in machine load hits both alike; each round runs a function `reps[i]` times.
 */
function alternateSync(fns: Array<() => unknown>, reps: number[], rounds: number): number[] {
  const times = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds + 3; r++) {
    const order = fns.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const t0 = now();
      for (let k = 0; k < reps[i]; k++) fns[i]();
      if (r >= 3) times[i].push((now() - t0) / reps[i]);
    }
  }
  return times.map(median);
}

export const toolCallParsing: Bench = async (ctx) => {
  const rounds = ctx.quick ? 5 : 15;
  const rows: Row[] = [];

  // Per byte: 1 KB vs 2 MB, the same make-up.
  const small = reply(1024);
  const large = reply(2 * 1024 * 1024);
  const smallCalls = parseToolCalls(small).calls.length;
  const largeCalls = parseToolCalls(large).calls.length;
  ctx.log(`1 KB reply: ${smallCalls} calls; 2 MB reply: ${largeCalls} calls`);
  // The small reply is read as many times as fit the large one's bytes, so both rounds take alike long.
  const [smallMs, largeMs] = alternateSync(
    [() => parseToolCalls(small), () => parseToolCalls(large)],
    [Math.round(large.length / small.length), 1],
    rounds,
  );
  const perByteSmall = (smallMs * 1e6) / small.length;
  const perByteLarge = (largeMs * 1e6) / large.length;
  rows.push({
    bench: 'toolcalls',
    what: `tool-call parsing: cost per byte, 2 MB reply (${largeCalls} calls in 3 formats, prose, code blocks) vs 1 KB of the same make-up`,
    baseline: `1 KB: ${perByteSmall.toFixed(1)} ns/byte`,
    measured: `2 MB: ${perByteLarge.toFixed(1)} ns/byte`,
    ratio: ratio(perByteLarge, perByteSmall),
    target: '≤ 1.5× (flat)',
    met: perByteLarge / perByteSmall <= 1.5,
    data: { perByteSmall, perByteLarge, smallBytes: small.length, largeBytes: large.length, largeCalls },
  });

  // A 300 KB turn of 5,000 calls.
  const calls = Array.from({ length: 5000 }, (_, i) => ({ name: 'f', arguments: { i } }));
  const turn = calls.map((c) => `<tool_call>${JSON.stringify(c)}</tool_call>`).join('');
  const padded = turn + ' '.repeat(Math.max(0, 300 * 1024 - turn.length));
  const asJson = JSON.stringify(calls);
  const got = parseToolCalls(padded).calls.length;
  if (got !== 5000) throw new Error(`the 5,000-call turn read as ${got} calls`);
  const [parseMs, jsonMs] = alternateSync([() => parseToolCalls(padded), () => JSON.parse(asJson)], [1, 5], rounds);
  rows.push({
    bench: 'toolcalls',
    what: `tool-call parsing: a ${(padded.length / 1024).toFixed(0)} KB turn with 5,000 Hermes calls vs JSON.parse of the same calls`,
    baseline: `JSON.parse ${ms(jsonMs)}`,
    measured: ms(parseMs),
    ratio: ratio(parseMs, jsonMs),
    target: '≤ 100 ms',
    met: parseMs <= 100,
    data: { parseMs, jsonMs, bytes: padded.length },
  });

  // Streaming: the same turn in 8-character pieces, as a server streams it, vs read whole.
  const streamed = () => {
    const s = new ToolCallStream();
    for (let i = 0; i < padded.length; i += 8) s.push(padded.slice(i, i + 8));
    return s.end();
  };
  if (streamed().calls.length !== 5000) throw new Error('the streamed turn did not read as 5,000 calls');
  const [streamMs, wholeMs] = alternateSync([streamed, () => parseToolCalls(padded)], [1, 1], rounds);
  rows.push({
    bench: 'toolcalls',
    what: 'tool-call parsing: the same turn streamed in 8-character pieces (cards announced as calls arrive) vs read whole',
    baseline: `whole ${ms(wholeMs)}`,
    measured: `streamed ${ms(streamMs)}`,
    ratio: ratio(streamMs, wholeMs),
    target: 'report; linear (no re-scan per piece)',
    met: null,
    data: { streamMs, pieces: Math.ceil(padded.length / 8) },
  });
  return rows;
};
