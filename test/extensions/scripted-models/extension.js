// Test fixture, installed beside Orchestra as another extension would be: a chat model provider
// (vendor `scripted`) whose replies the tests script through commands, recording every request it
// gets (and whether it was cancelled), and a command that invokes Orchestra's `orchestra_delegate`
// tool the way any other extension's agent would.
'use strict';
const vscode = require('vscode');

/** @type {Array<{ text?: string, chunks?: string[], toolCalls?: Array<{ name: string, input: object, id?: string }>, error?: string, delayMs?: number }>} */
let script = [];
/** @type {Array<{ model: string, messages: Array<{ role: string, text: string }>, tools: string[], toolMode: number | undefined, cancelled: boolean, done: boolean }>} */
const requests = [];

function partText(part) {
  if (part instanceof vscode.LanguageModelTextPart) return part.value;
  if (part instanceof vscode.LanguageModelToolResultPart)
    return `[tool result ${part.callId}] ${part.content.map((c) => (c instanceof vscode.LanguageModelTextPart ? c.value : '')).join('')}`;
  if (part instanceof vscode.LanguageModelToolCallPart) return `[tool call ${part.name} ${JSON.stringify(part.input)}]`;
  return '';
}

const sleep = (ms, token) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    token.onCancellationRequested(() => {
      clearTimeout(t);
      resolve();
    });
  });

const provider = {
  provideLanguageModelChatInformation() {
    return [
      {
        id: 'echo-1',
        name: 'Scripted Echo',
        family: 'scripted-echo',
        version: '1.0',
        maxInputTokens: 32000,
        maxOutputTokens: 2000,
        capabilities: { toolCalling: true },
        // Not in the typed API: lets the Chat view send participant requests without another model picked.
        isDefault: true,
        isUserSelectable: true,
      },
    ];
  },
  async provideLanguageModelChatResponse(model, messages, options, progress, token) {
    const record = {
      model: model.id,
      messages: messages.map((m) => ({
        role: m.role === vscode.LanguageModelChatMessageRole.User ? 'user' : 'assistant',
        text: m.content.map(partText).join(''),
      })),
      tools: (options.tools || []).map((t) => t.name),
      toolMode: options.toolMode,
      cancelled: false,
      done: false,
    };
    requests.push(record);
    token.onCancellationRequested(() => (record.cancelled = true));
    const lastUser = [...record.messages].reverse().find((m) => m.role === 'user');
    const reply = script.shift() || { text: `echo: ${lastUser ? lastUser.text.slice(-200) : ''}` };
    try {
      if (reply.delayMs) await sleep(reply.delayMs, token);
      if (token.isCancellationRequested) return;
      if (reply.error === 'NoPermissions')
        throw vscode.LanguageModelError.NoPermissions('the user has not allowed this extension to use the model');
      if (reply.error === 'Blocked') throw vscode.LanguageModelError.Blocked('quota exceeded for today');
      if (reply.error) throw new Error(reply.error);
      for (const chunk of reply.chunks || (reply.text ? [reply.text] : [])) progress.report(new vscode.LanguageModelTextPart(chunk));
      (reply.toolCalls || []).forEach((c, i) =>
        progress.report(new vscode.LanguageModelToolCallPart(c.id || `call-${requests.length}-${i}`, c.name, c.input)),
      );
    } finally {
      record.done = true;
    }
  },
  async provideTokenCount(_model, text) {
    const s = typeof text === 'string' ? text : text.content.map(partText).join('');
    return Math.ceil(s.length / 4);
  },
};

function activate(context) {
  context.subscriptions.push(
    vscode.lm.registerLanguageModelChatProvider('scripted', provider),
    vscode.commands.registerCommand('orchestraTest.models.script', (replies) => {
      script = Array.isArray(replies) ? [...replies] : [];
    }),
    vscode.commands.registerCommand('orchestraTest.models.reset', () => {
      script = [];
      requests.length = 0;
    }),
    vscode.commands.registerCommand('orchestraTest.models.requests', () => JSON.parse(JSON.stringify(requests))),
    vscode.commands.registerCommand('orchestraTest.tools', () => vscode.lm.tools.map((t) => ({ name: t.name, tags: [...t.tags] }))),
    vscode.commands.registerCommand('orchestraTest.invokeTool', async (name, input) => {
      const cts = new vscode.CancellationTokenSource();
      try {
        const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, cts.token);
        return { ok: true, text: result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('') };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      } finally {
        cts.dispose();
      }
    }),
  );
}

module.exports = { activate };
