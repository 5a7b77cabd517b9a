// The engine process's side of the editor's own models (VS Code's Language Model API): each call on
// one is an `orchestra/hostChat` request to the editor, its reply streams back as
// `orchestra/hostChatDelta` notifications, and aborting the call cancels the request there.
import { randomUUID } from 'node:crypto';
import { CancellationTokenSource, ResponseError } from 'vscode-languageserver/node';
import type { Connection } from 'vscode-languageserver/node';
import { HostChatError, type HostChat, type HostChatDelta, type HostChatErrorKind } from '../core/pool';
import { HostChatDeltaNotification, HostChatDeltaParams, HostChatRequestType } from '../protocol/engine-rpc';
import type { HostChatErrorData, HostChatParams } from '../protocol/engine-rpc';

const ERROR_KINDS: readonly HostChatErrorKind[] = ['no_permissions', 'blocked', 'not_found', 'cancelled', 'failed'];

export class HostModelBridge {
  /** The calls in flight, by request id: where their deltas go. */
  private readonly calls = new Map<string, (d: HostChatDelta) => void>();

  constructor(
    private readonly connection: Connection,
    private readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void,
  ) {
    connection.onNotification(HostChatDeltaNotification, (raw) => {
      const r = HostChatDeltaParams.safeParse(raw);
      if (!r.success) {
        this.log('warn', `ignored an invalid orchestra/hostChatDelta from the editor`);
        return;
      }
      // A delta of a call already cancelled or finished has nowhere to go.
      this.calls.get(r.data.requestId)?.(r.data.delta);
    });
  }

  readonly hostChat: HostChat = async (req, onDelta, signal) => {
    if (signal.aborted) throw new HostChatError('cancelled before it was sent', 'cancelled');
    const requestId = randomUUID();
    const cancel = new CancellationTokenSource();
    let onAbort: (() => void) | undefined;
    this.calls.set(requestId, onDelta);
    try {
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => {
          cancel.cancel();
          reject(new HostChatError('cancelled', 'cancelled'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      // The OpenAI message types are wider than what the engine sends; the editor validates what arrives.
      const params = { requestId, ...req } as unknown as HostChatParams;
      const sent = this.connection.sendRequest(HostChatRequestType, params, cancel.token);
      // The editor may answer a cancelled request late (or never): the call ends at the abort.
      sent.catch(() => undefined);
      const result = await Promise.race([sent, aborted]);
      return { usage: result?.usage };
    } catch (err) {
      if (err instanceof HostChatError) throw err;
      if (err instanceof ResponseError) {
        const kind = (err.data as HostChatErrorData | undefined)?.kind;
        throw new HostChatError(err.message, kind && ERROR_KINDS.includes(kind) ? kind : 'failed');
      }
      throw new HostChatError(err instanceof Error ? err.message : String(err), 'failed');
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      this.calls.delete(requestId);
      cancel.dispose();
    }
  };
}
