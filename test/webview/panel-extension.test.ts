// The panel's extension side without VS Code: message validation, the conversation store on a
// key/value memento, the session's queueing and replay, and the CSP of the page.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePanelMessage, ExtensionToPanel, type PanelStatus } from '../../src/protocol/panel';
import { ConversationStore, type KeyValueStore } from '../../src/extension/panel/conversationStore';
import { PanelSession, type PanelHandlers } from '../../src/extension/panel/panelSession';
import { contentSecurityPolicy, makeNonce, panelHtml } from '../../src/extension/panel/panelHtml';
import { EventLog, compactForStorage, summarize } from '../../src/core/protocol/event-log';
import { EventScript, mainScenario } from './support/events';

class MemoryMemento implements KeyValueStore {
  readonly data = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }
  update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.data.set(key, JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }
}

function recordingHandlers(): { handlers: PanelHandlers; calls: Array<[string, ...unknown[]]> } {
  const calls: Array<[string, ...unknown[]]> = [];
  const rec =
    (name: string) =>
    (...args: unknown[]): void => {
      calls.push([name, ...args]);
    };
  const handlers: PanelHandlers = {
    ask: rec('ask'),
    cancel: rec('cancel'),
    cancelCall: rec('cancelCall'),
    approve: rec('approve'),
    setPrivacyMode: rec('setPrivacyMode'),
    setBudget: rec('setBudget'),
    insertCode: rec('insertCode'),
    applyCode: rec('applyCode'),
    copy: rec('copy'),
    runCommand: rec('runCommand'),
    newConversation: rec('newConversation'),
  };
  return { handlers, calls };
}

const STATUS: PanelStatus = {
  privacyMode: 'local-only',
  budgetDollars: 0.25,
  sessionDollars: 0,
  engine: { state: 'ready' },
  modelCount: 2,
  problems: [],
};

describe('panel protocol', () => {
  test('valid messages parse; bad ones are refused with the field named', () => {
    assert.deepEqual(parsePanelMessage({ type: 'cancel', taskId: 't1' }), { ok: true, message: { type: 'cancel', taskId: 't1' } });
    const ask = parsePanelMessage({ type: 'ask', question: ' why? ' });
    assert.ok(ask.ok && ask.message.type === 'ask' && ask.message.question === 'why?' && ask.message.attachments.length === 0);

    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'openLink', url: 'javascript:alert(1)' }, /openLink\.url: must be an http\(s\) URL/],
      [{ type: 'openLink', url: 'command:workbench.action.openSettings' }, /openLink\.url/],
      [{ type: 'openLink', url: 'file:///etc/passwd' }, /openLink\.url/],
      [{ type: 'setBudget', dollars: -1 }, /setBudget\.dollars/],
      [{ type: 'setBudget', dollars: Number.POSITIVE_INFINITY }, /setBudget\.dollars/],
      [{ type: 'setPrivacyMode', mode: 'everything' }, /setPrivacyMode\.mode/],
      [{ type: 'ask', question: '   ' }, /ask\.question: the question is empty/],
      [{ type: 'runCommand', command: 'workbench.action.terminal.new' }, /runCommand\.command/],
      [{ type: 'approve', approvalId: 'a1', approved: 'yes' }, /approve\.approved/],
      [{ type: 'rm -rf' }, /invalid panel message/],
      ['not an object', /\(no type\)/],
    ];
    for (const [raw, re] of cases) {
      const r = parsePanelMessage(raw);
      assert.equal(r.ok, false, JSON.stringify(raw));
      if (!r.ok) assert.match(r.error, re);
    }
    assert.ok(parsePanelMessage({ type: 'openLink', url: 'https://example.com/a?b=1' }).ok);
  });

  test('extension messages built from the fixtures match the schema', () => {
    const s = mainScenario();
    for (const event of [...s.start, ...s.delegateTurn, ...s.answer]) ExtensionToPanel.parse({ type: 'event', event });
    ExtensionToPanel.parse({ type: 'status', status: STATUS });
  });
});

describe('event log', () => {
  test('merges streaming deltas per stream and keeps other events in order', () => {
    const s = new EventScript('t');
    const log = new EventLog();
    log.append(s.ev('task_started', { question: 'q', dialect: 'general', orchestratorModel: 'o', privacyMode: 'any', budgetDollars: 1 }));
    log.append(s.ev('orchestrator_delta', { turn: 1, text: 'a' }));
    log.append(s.ev('tool_call_started', { callId: 'c1', turn: 1, tool: 'x', args: {}, state: 'running' }));
    log.append(s.ev('orchestrator_delta', { turn: 1, text: 'b' }));
    log.append(s.ev('orchestrator_delta', { turn: 2, text: 'c' }));
    for (const t of ['x', 'y', 'z']) log.append(s.ev('answer_delta', { text: t }));
    log.append(s.ev('tool_call_delta', { callId: 'c1', text: 'out' }));
    log.append(
      s.ev('tool_call_finished', { callId: 'c1', tool: 'x', state: 'ok', preview: 'r', result: 'r'.repeat(100), dollars: 0, latencyMs: 1 }),
    );
    const types = log.events.map((e) => e.type);
    assert.deepEqual(types, [
      'task_started',
      'orchestrator_delta',
      'tool_call_started',
      'orchestrator_delta',
      'answer_delta',
      'tool_call_delta',
      'tool_call_finished',
    ]);
    assert.equal((log.events[1] as { text: string }).text, 'ab');
    assert.equal((log.events[3] as { text: string }).text, 'c');
    assert.equal((log.events[4] as { text: string }).text, 'xyz');
    // A reset answer delta replaces the answer streamed before it, in the same merged event.
    log.append(s.ev('answer_delta', { text: 'new', reset: true }));
    log.append(s.ev('answer_delta', { text: ' answer' }));
    assert.deepEqual(
      log.events.filter((e) => e.type === 'answer_delta').map((e) => [(e as { text: string }).text, (e as { reset?: boolean }).reset]),
      [['new answer', true]],
    );
    const stored = compactForStorage(log.events, { maxResultChars: 10 });
    assert.ok(!stored.some((e) => e.type === 'tool_call_delta'), 'live output of a finished call is dropped');
    const fin = stored.find((e) => e.type === 'tool_call_finished') as { result: string };
    assert.match(fin.result, /^r{10}\n… \(90 more characters not kept in history\)$/);
  });

  test('summary counts top-level tasks and their spend, not subtasks', () => {
    const s = mainScenario('sum');
    const sum = summarize([...s.start, ...s.progress, ...s.delegateTurn, ...s.answer]);
    assert.equal(sum.title, 'Why does parseConfig drop my second model entry?');
    assert.equal(sum.taskCount, 1);
    assert.equal(sum.dollars, 0.0083);
  });
});

describe('conversation store', () => {
  test('keeps the current conversation and history in the memento across instances', async () => {
    const memento = new MemoryMemento();
    const store = new ConversationStore(memento, { saveDelayMs: 5 });
    const s = mainScenario('m1');
    for (const e of [...s.start, ...s.progress, ...s.answer]) store.append(e);
    await store.flush();
    const again = new ConversationStore(memento);
    const snap = again.snapshot();
    assert.equal(snap.current.taskCount, 1);
    assert.equal(snap.current.events.filter((e) => e.type === 'answer_delta').length, 1, 'answer deltas merged');
    assert.equal(snap.current.events.find((e) => e.type === 'done')?.type, 'done');

    again.newConversation();
    assert.equal(again.snapshot().current.events.length, 0);
    assert.equal(again.snapshot().history.length, 1);
    assert.equal(again.snapshot().history[0].title, 'Why does parseConfig drop my second model entry?');
    await again.flush();
    const third = new ConversationStore(memento);
    assert.equal(third.snapshot().history.length, 1);
    assert.equal(third.deleteHistory(third.snapshot().history[0].id), true);
    await third.flush();
    assert.equal(new ConversationStore(memento).snapshot().history.length, 0);
  });

  test('streaming is written on a slow timer; a finished task at once; nothing unchanged twice', async () => {
    const memento = new MemoryMemento();
    const store = new ConversationStore(memento, { saveDelayMs: 600_000 });
    const s = mainScenario('w1');
    for (const e of [...s.start, ...s.progress]) store.append(e);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(memento.writes, 0, 'deltas wait for the slow timer');
    for (const e of s.answer) store.append(e);
    assert.ok(s.answer.some((e) => e.type === 'done'));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(memento.writes, 1, 'the finished task is written at once');
    await store.flush();
    assert.equal(memento.writes, 1, 'a flush with nothing new writes nothing');
    store.append(
      new EventScript('w2').ev('task_started', {
        question: 'q',
        dialect: 'general',
        orchestratorModel: 'o',
        privacyMode: 'any',
        budgetDollars: 1,
      }),
    );
    await store.flush();
    assert.equal(memento.writes, 2, 'a flush (panel hidden or closed) writes what is pending');
    await store.dispose();
  });

  test('history is bounded by count and by stored size, oldest first out', async () => {
    const memento = new MemoryMemento();
    const store = new ConversationStore(memento, { historyLimit: 3, maxStoredChars: 40_000 });
    for (let i = 0; i < 6; i++) {
      const s = new EventScript(`h${i}`);
      store.append(
        s.ev('task_started', {
          question: `question ${i}`,
          dialect: 'general',
          orchestratorModel: 'o',
          privacyMode: 'any',
          budgetDollars: 1,
        }),
      );
      store.append(
        s.ev('tool_call_finished', {
          callId: `c${i}`,
          tool: 'x',
          state: 'ok',
          preview: 'p',
          result: 'z'.repeat(30_000),
          dollars: 0,
          latencyMs: 1,
        }),
      );
      store.newConversation();
    }
    await store.flush();
    const titles = new ConversationStore(memento).snapshot().history.map((c) => c.title);
    assert.ok(titles.length >= 1 && titles.length <= 3);
    assert.equal(titles[0], 'question 5', 'the newest is kept');
    const size = JSON.stringify(memento.data.get('orchestra.panel.conversations.v1')).length;
    assert.ok(size <= 40_000, `stored ${size} characters`);
  });
});

describe('panel session', () => {
  test('records events before the view exists and replays them, the status and open approvals on ready', async () => {
    const store = new ConversationStore(new MemoryMemento());
    const { handlers } = recordingHandlers();
    const sent: ExtensionToPanel[] = [];
    const session = new PanelSession(store, handlers, { openLink: () => undefined, batchMs: 1 });
    const s = mainScenario('rp');
    for (const e of s.start) session.post({ type: 'event', event: e });
    session.post({ type: 'status', status: STATUS });
    session.post({
      type: 'approval',
      approval: { approvalId: 'a9', taskId: 'rp', callId: 'c2', kind: 'paid_call', title: 'Pay', detail: 'd' },
    });
    session.post({
      type: 'approval',
      approval: { approvalId: 'a8', taskId: 'rp', callId: 'c1', kind: 'paid_call', title: 'Pay', detail: 'd' },
    });
    session.post({ type: 'approvalResolved', approvalId: 'a8', approved: false });
    session.post({ type: 'compose', question: 'pre', attachments: [] });
    session.attach({ postMessage: (m) => void sent.push(m) });
    assert.equal(sent.length, 0, 'nothing is sent before the panel says ready');
    session.receive({ type: 'ready' });
    assert.deepEqual(
      sent.map((m) => m.type),
      ['restore', 'status', 'approval', 'compose'],
    );
    const restore = sent[0] as Extract<ExtensionToPanel, { type: 'restore' }>;
    assert.equal(restore.current.events.length, new EventLog().length + EventLog.from(s.start).length);
    assert.equal((sent[2] as Extract<ExtensionToPanel, { type: 'approval' }>).approval.approvalId, 'a9');

    // Live events are batched into one message.
    sent.length = 0;
    for (const e of s.progress) session.post({ type: 'event', event: e });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sent.length, 1);
    assert.equal(sent[0].type, 'events');
    assert.equal((sent[0] as { events: unknown[] }).events.length, s.progress.length);

    // A reloaded webview gets everything again, once.
    session.attach({ postMessage: (m) => void sent.push(m) });
    sent.length = 0;
    session.receive({ type: 'ready' });
    const again = sent.find((m): m is Extract<ExtensionToPanel, { type: 'restore' }> => m.type === 'restore');
    assert.ok(again);
    assert.equal(again.current.events.length, EventLog.from([...s.start, ...s.progress]).length);
  });

  test('an ask the extension refuses is answered with askFailed, so the panel does not wait forever', () => {
    const store = new ConversationStore(new MemoryMemento());
    const { handlers, calls } = recordingHandlers();
    const sent: ExtensionToPanel[] = [];
    const session = new PanelSession(store, handlers, { openLink: () => undefined, log: () => undefined });
    session.attach({ postMessage: (m) => void sent.push(m) });
    session.receive({ type: 'ready' });
    sent.length = 0;
    session.receive({ type: 'ask', question: '   ' });
    assert.deepEqual(calls, []);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].type, 'askFailed');
    assert.match(sent[0].message, /ask\.question: the question is empty/);
    // The extension's own failures (engine down, no model) go the same way.
    session.post({ type: 'askFailed', message: 'could not start the task: the engine is down' });
    assert.deepEqual(sent.at(-1), { type: 'askFailed', message: 'could not start the task: the engine is down' });
    assert.ok(ExtensionToPanel.safeParse(sent.at(-1)).success);
  });

  test('dispatches valid panel messages to the handlers and refuses the rest', () => {
    const store = new ConversationStore(new MemoryMemento());
    const { handlers, calls } = recordingHandlers();
    const links: string[] = [];
    const logs: string[] = [];
    const session = new PanelSession(store, handlers, { openLink: (u) => links.push(u), log: (_l, m) => logs.push(m) });
    session.attach({ postMessage: () => true });
    session.receive({ type: 'ready' });
    session.receive({ type: 'ask', question: 'q', attachments: [{ kind: 'file', path: 'a.ts', text: 'x' }] });
    session.receive({ type: 'cancel', taskId: 't1' });
    session.receive({ type: 'cancelCall', taskId: 't1', callId: 'call_2' });
    session.receive({ type: 'cancelCall', taskId: 't1' });
    session.receive({ type: 'approve', approvalId: 'a1', approved: true });
    session.receive({ type: 'setPrivacyMode', mode: 'open-weights-only' });
    session.receive({ type: 'setBudget', dollars: 2 });
    session.receive({ type: 'insertCode', code: 'x', language: 'ts' });
    session.receive({ type: 'applyCode', code: 'y' });
    session.receive({ type: 'copy', text: 'z' });
    session.receive({ type: 'runCommand', command: 'discover' });
    session.receive({ type: 'runCommand', command: 'downloadLocalModel' });
    session.receive({ type: 'runCommand', command: 'useLocalModelFile' });
    session.receive({ type: 'newConversation' });
    session.receive({ type: 'openLink', url: 'https://example.com' });
    session.receive({ type: 'openLink', url: 'javascript:alert(1)' });
    session.receive({ type: 'setBudget', dollars: 'lots' });
    assert.deepEqual(calls, [
      ['ask', 'q', [{ kind: 'file', path: 'a.ts', text: 'x' }]],
      ['cancel', 't1'],
      ['cancelCall', 't1', 'call_2'],
      ['approve', 'a1', true],
      ['setPrivacyMode', 'open-weights-only'],
      ['setBudget', 2],
      ['insertCode', 'x', 'ts'],
      ['applyCode', 'y', undefined],
      ['copy', 'z'],
      ['runCommand', 'discover'],
      ['runCommand', 'downloadLocalModel'],
      ['runCommand', 'useLocalModelFile'],
      ['newConversation'],
    ]);
    assert.deepEqual(links, ['https://example.com']);
    assert.equal(logs.length, 3);
    assert.match(logs[0], /cancelCall\.callId/);
    assert.match(logs[1], /openLink\.url/);
    assert.match(logs[2], /setBudget\.dollars/);
  });
});

describe('panel html', () => {
  test('strict CSP: nonce-only scripts, no inline styles, nothing remote', () => {
    const nonce = makeNonce();
    const html = panelHtml({
      cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
      scriptUri: 'https://x/panel.js',
      styleUri: 'https://x/panel.css',
      nonce,
    });
    const csp = contentSecurityPolicy('https://file+.vscode-resource.vscode-cdn.net', nonce);
    assert.ok(html.includes(`content="${csp}"`));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/]/g, (c) => `\\${c}`)}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/\*|\*;/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x/panel.js">`));
    assert.throws(() => panelHtml({ cspSource: 'x', scriptUri: 'a', styleUri: 'b', nonce: 'short' }), /nonce/);
    assert.notEqual(makeNonce(), makeNonce());
  });
});
