// Small helpers shared by the engine process's modules.
import { CancellationTokenSource } from 'vscode-languageserver/node';
import type { CancellationToken } from 'vscode-languageserver/node';

export function errorText(err: unknown, withStack = false): string {
  if (err instanceof Error) return withStack && err.stack ? err.stack : err.message;
  return String(err);
}

/** A CancellationToken that follows an AbortSignal, for requests sent to the client. */
export function tokenFor(signal: AbortSignal): CancellationToken {
  const source = new CancellationTokenSource();
  if (signal.aborted) source.cancel();
  else signal.addEventListener('abort', () => source.cancel(), { once: true });
  return source.token;
}
