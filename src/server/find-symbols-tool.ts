// `find_symbols`: the editor's symbol index as an orchestrator tool. The engine process has no index
// of its own; an editor that has one (VS Code's workspace symbol providers) serves the
// `orchestra/findSymbols` request, and the engine registers this tool only when the client says so.
import { z } from 'zod';
import type { Connection } from 'vscode-languageserver/node';
import { defineTool } from '../core/tools/tool';
import { FindSymbolsRequest, FindSymbolsResult } from '../protocol/engine-rpc';
import { errorText, tokenFor } from './util';

const FindSymbolsArgs = z.object({
  query: z.string().min(1).describe('Symbol name or part of it (class, function, method, variable).'),
  maxResults: z.number().int().positive().max(200).optional().describe('At most this many symbols (default 50).'),
});

export function createFindSymbolsTool(connection: Connection) {
  return defineTool({
    name: 'find_symbols',
    description:
      "Finds where classes, functions, methods and variables are defined in the workspace, using the editor's language services. " +
      'Returns one line per symbol: kind, name, container, file:line. Use it to locate definitions before reading files.',
    schema: FindSymbolsArgs,
    kind: 'local',
    destination: () => 'local',
    async run(args, ctx) {
      try {
        const raw = await connection.sendRequest(
          FindSymbolsRequest,
          { query: args.query, maxResults: args.maxResults ?? 50 },
          tokenFor(ctx.signal),
        );
        const parsed = FindSymbolsResult.safeParse(raw);
        if (!parsed.success)
          return { ok: false, output: 'find_symbols: the editor sent a malformed result', error: 'malformed result', state: 'error' };
        const { symbols } = parsed.data;
        if (!symbols.length) return { ok: true, output: `No symbols match "${args.query}".`, data: symbols };
        const lines = symbols.map((s) => `${s.kind} ${s.name}${s.containerName ? ` (in ${s.containerName})` : ''} — ${s.path}:${s.line}`);
        return { ok: true, output: `${symbols.length} symbol(s) matching "${args.query}":\n${lines.join('\n')}`, data: symbols };
      } catch (err) {
        if (ctx.signal.aborted) return { ok: false, output: 'find_symbols was cancelled', error: 'cancelled', state: 'error' };
        return { ok: false, output: `find_symbols failed: ${errorText(err)}`, error: errorText(err), state: 'error' };
      }
    },
  });
}
