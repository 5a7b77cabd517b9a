// The Orchestra engine as its own process (dist/server.js): JSON-RPC through vscode-languageserver.
// `--stdio`, `--node-ipc`, `--socket=N` or `--pipe=NAME` pick the transport (stdio when none is
// given), so VS Code or any other editor's LSP client can start and drive it.
import { performance } from 'node:perf_hooks';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startEngineServer } from './engine-server';
import { errorText } from './util';

const transportGiven = process.argv.some(
  (a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'),
);
const connection = transportGiven
  ? createConnection(ProposedFeatures.all)
  : createConnection(ProposedFeatures.all, process.stdin, process.stdout);

// Node's fetch (the openai SDK's transport) files a PerformanceResourceTiming for every request in a
// 250-entry buffer that nothing here reads: the heap of a long-running engine would grow until it
// is full. Keep none.
performance.setResourceTimingBufferSize(0);

const server = startEngineServer(connection);

// A failure outside any task must not take the process down with tasks still running; it is logged,
// without any key it may carry (a provider error that echoes one, a request object in a stack).
process.on('uncaughtException', (err) =>
  connection.console.error(server.redact(`uncaught exception in the engine: ${errorText(err, true)}`)),
);
process.on('unhandledRejection', (err) =>
  connection.console.error(server.redact(`unhandled rejection in the engine: ${errorText(err, true)}`)),
);
// vscode-languageserver exits the process right after this handler; stop tasks and child processes first.
connection.onExit(() => void server.dispose());

connection.listen();
