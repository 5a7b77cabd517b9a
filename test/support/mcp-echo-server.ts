// A real MCP server over stdio for tests. Bundle it with esbuild and start it with node; its tools:
//   echo {text}        → "echo: <text>"
//   add {a, b}         → the sum, as text and structured content
//   fail {}            → a tool-level error (isError)
//   has_env {name}     → whether the variable is set in the server's environment ("yes"/"no")
//   wait {file}        → waits up to 60 s; when the client cancels the call, writes "cancelled" to `file`
// `--slow-start` waits 60 s before connecting (for start-timeout tests).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';

async function main(): Promise<void> {
  if (process.argv.includes('--slow-start')) await new Promise((r) => setTimeout(r, 60_000));
  const server = new McpServer({ name: 'echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes the text back', inputSchema: { text: z.string().describe('What to echo') } },
    async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }),
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool('fail', { description: 'Always fails', inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: 'this tool always fails' }],
    isError: true,
  }));
  server.registerTool(
    'has_env',
    { description: 'Says whether an environment variable is set', inputSchema: { name: z.string() } },
    async ({ name }) => ({ content: [{ type: 'text', text: process.env[name] !== undefined ? 'yes' : 'no' }] }),
  );
  server.registerTool(
    'wait',
    { description: 'Waits up to 60 s; a cancelled call is recorded in the file named', inputSchema: { file: z.string() } },
    async ({ file }, extra) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          writeFileSync(file, 'cancelled');
          resolve();
        });
      });
      return { content: [{ type: 'text', text: 'waited' }] };
    },
  );
  await server.connect(new StdioServerTransport());
}

main().catch((e) => {
  process.stderr.write(`mcp-echo-server: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
