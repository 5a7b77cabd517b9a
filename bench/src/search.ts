// search_workspace vs raw ripgrep on a generated tree of 20,000+ files (p50, alternated).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SearchArgs, formatSearch, searchWorkspace } from '../../src/core/tools/search';
import { alternate, capture, median, ms, p95, ratio, type Bench } from './util';

const RG = '/usr/bin/rg';

function generateTree(dirs: number, filesPerDir: number): string {
  const root = mkdtempSync(join(tmpdir(), 'orchestra-bench-tree-'));
  let n = 0;
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `pkg${d}`, d % 2 ? 'src' : 'lib');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < filesPerDir; f++, n++) {
      const lines: string[] = [`// module ${d}/${f}`, `import { helper${f % 7} } from './helper';`, ''];
      for (let l = 0; l < 30; l++) lines.push(`export function fn_${d}_${f}_${l}(x: number): number { return helper${l % 7}(x) * ${l}; }`);
      // A rare identifier in 1% of the files, the thing a user searches for.
      if (n % 100 === 7) lines.splice(10, 0, `const retryBudgetLimit = ${n}; // tune the retryBudgetLimit for slow links`);
      writeFileSync(join(dir, `file${f}.ts`), lines.join('\n') + '\n');
    }
  }
  return root;
}

export const workspaceSearch: Bench = async (ctx) => {
  const dirs = 200;
  const perDir = 101;
  const files = dirs * perDir;
  ctx.log(`generating ${files} files…`);
  const root = generateTree(dirs, perDir);
  try {
    const args = SearchArgs.parse({ query: 'retryBudgetLimit' });
    const signal = new AbortController().signal;
    let toolText = '';
    const viaTool = async () => {
      const r = await searchWorkspace(args, { workspace: root, rgPath: RG, signal });
      toolText = formatSearch(args, r);
      if (r.totalMatches === 0) throw new Error('search bench: the tool found nothing');
    };
    const rawRg = async () => {
      const r = await capture(RG, ['retryBudgetLimit'], { cwd: root });
      if (!r.stdout) throw new Error('search bench: rg found nothing');
    };
    // First runs read the tree from disk; both then run from the page cache.
    const [tool, rg] = await alternate([viaTool, rawRg], ctx.quick ? 10 : 30, 3);
    const r = median(tool) / median(rg);
    return [
      {
        bench: 'search',
        what: `workspace search: search_workspace vs raw rg, ${files} files, p50`,
        baseline: `rg ${ms(median(rg))}`,
        measured: ms(median(tool)),
        ratio: ratio(median(tool), median(rg)),
        target: '≤ 1.2×',
        met: r <= 1.2,
        note: `p95 tool ${ms(p95(tool))}, rg ${ms(p95(rg))}. The tool runs rg with .gitignore, --hidden and the deny list, ranks the matches, reads context back from the shown files and formats (${toolText.length} chars for the orchestrator).`,
        data: { files, toolMs: tool, rgMs: rg, ratio: r },
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};
