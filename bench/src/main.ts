// One benchmark per process: `node bench/.out/bench.js NAME [--quick]` prints its rows as one
// `RESULT {json}` line. bench/run.mjs runs each in turn and prints the table.
import { resolve } from 'node:path';
import { cost, engineOverhead, parallelSubtasks } from './engine-benches';
import { streamingPipeline } from './streaming';
import { workspaceSearch } from './search';
import { codeExecution } from './run-code';
import { memory } from './memory';
import { llamaServe } from './llama';
import { replicaThroughput } from './replicas';
import { toolCallParsing } from './toolcalls';
import { markdownRender } from './markdown';
import { cardsScroll } from './cards-scroll';
import type { Bench } from './util';

export const BENCHES: Record<string, Bench> = {
  'engine-overhead': engineOverhead,
  parallel: parallelSubtasks,
  streaming: streamingPipeline,
  search: workspaceSearch,
  'run-code': codeExecution,
  memory,
  cost,
  llama: llamaServe,
  replicas: replicaThroughput,
  toolcalls: toolCallParsing,
  markdown: markdownRender,
  'cards-scroll': cardsScroll,
};

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const bench = BENCHES[name ?? ''];
  if (!bench) {
    process.stderr.write(`unknown benchmark "${name ?? ''}"; the benchmarks are: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  // bench/.out/bench.js → the repository root.
  const root = resolve(__dirname, '..', '..');
  const rows = await bench({ quick: rest.includes('--quick'), root, log: (m) => process.stderr.write(`  [${name}] ${m}\n`) });
  process.stdout.write(`RESULT ${JSON.stringify(rows)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
