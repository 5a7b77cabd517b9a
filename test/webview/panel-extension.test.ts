// The panel's extension side without VS Code: message validation, the conversation store over task
// journals and a key/value memento, the session's queueing and replay, and the CSP of the page.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePanelMessage, ExtensionToPanel, type PanelStatus } from '../../src/protocol/panel';
import { ConversationStore, type KeyValueStore } from '../../src/extension/panel/conversationStore';
import { PanelSession, type PanelHandlers } from '../../src/extension/panel/panelSession';
import { contentSecurityPolicy, makeNonce, panelHtml } from '../../src/extension/panel/panelHtml';
import { EventLog, compactForStorage, summarize } from '../../src/core/protocol/event-log';
import { EventScript, mainScenario, totals } from './support/events';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineEvent } from '../../src/core/protocol/events';
import { JOURNAL_VERSION, TaskJournal } from '../../src/core/conversations/journal';
import { ConversationLibrary } from '../../src/core/conversations/library';

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
    ask: (...args: unknown[]) => {
      calls.push(['ask', ...args]);
      return true;
    },
    resume: (...args: unknown[]) => {
      calls.push(['resume', ...args]);
      return true;
    },
    openMarkdown: rec('openMarkdown'),
    cancel: rec('cancel'),
    cancelCall: rec('cancelCall'),
    approve: rec('approve'),
    setPrivacyMode: rec('setPrivacyMode'),
    setOrchestrator: rec('setOrchestrator'),
    setOrchestratorAutomatic: rec('setOrchestratorAutomatic'),
    setBudget: rec('setBudget'),
    insertCode: rec('insertCode'),
    applyCode: rec('applyCode'),
    copy: rec('copy'),
    openFile: rec('openFile'),
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
      [{ type: 'openFile', path: '../outside.ts', line: 1 }, /openFile\.path: must be a path inside the workspace/],
      [{ type: 'openFile', path: '/etc/passwd' }, /openFile\.path/],
      [{ type: 'openFile', path: 'C:\\Windows\\win.ini' }, /openFile\.path/],
      [{ type: 'openFile', path: 'file:///etc/passwd' }, /openFile\.path/],
      [{ type: 'openFile', path: 'src/a.ts', line: 0 }, /openFile\.line/],
      [{ type: 'setBudget', dollars: -1 }, /setBudget\.dollars/],
      [{ type: 'setBudget', dollars: Number.POSITIVE_INFINITY }, /setBudget\.dollars/],
      [{ type: 'setPrivacyMode', mode: 'everything' }, /setPrivacyMode\.mode/],
      [{ type: 'setOrchestrator', model: '' }, /setOrchestrator\.model/],
      [{ type: 'setOrchestrator' }, /setOrchestrator\.model/],
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
    assert.deepEqual(parsePanelMessage({ type: 'openFile', path: 'src/a..b/c.ts', line: 12 }), {
      ok: true,
      message: { type: 'openFile', path: 'src/a..b/c.ts', line: 12 },
    });
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

/** A library in a scratch folder, and a writer of task journals as the engine writes them. */
function scratchLibrary(): { library: ConversationLibrary; write: (conversationId: string, taskId: string, o: JournalTask) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-store-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const library = new ConversationLibrary(dir);
  return {
    library,
    write: (conversationId, taskId, o) => {
      const j = new TaskJournal(library.journalPath(conversationId, taskId));
      j.write({
        type: 'header',
        version: JOURNAL_VERSION,
        taskId,
        conversationId,
        parentTaskId: o.parent,
        question: o.question,
        attachments: [],
        startedAt: o.at,
      });
      const s = new EventScript(taskId);
      const events: EngineEvent[] = [
        s.ev('task_started', { question: o.question, dialect: 'general', orchestratorModel: 'orch', privacyMode: 'any', budgetDollars: 1 }),
        s.ev('cost_update', { totals: totals(o.dollars, 10, 5, 1, ['orch'], []), budgetLeft: 1 }),
      ];
      if (o.answer !== undefined) events.push(s.ev('done', { answer: o.answer, totals: totals(o.dollars, 10, 5, 1, ['orch'], []) }));
      for (const e of events) j.event(e);
      if (o.answer !== undefined)
        j.write({ type: 'end', ok: true, answer: o.answer, totals: totals(o.dollars, 10, 5, 1, ['orch'], []), endedAt: o.at + 1 });
      j.flush();
    },
  };
}
interface JournalTask {
  question: string;
  at: number;
  dollars: number;
  parent?: string;
  /** Absent: the task has no end (interrupted). */
  answer?: string;
}

describe('conversation store', () => {
  test('after a reload the branch comes back from the journals; an unfinished task is interrupted, with its cost; only small state is in the memento', async () => {
    const { library, write } = scratchLibrary();
    const memento = new MemoryMemento();
    write('c-one', 't1', { question: 'First question', at: 1000, dollars: 0.01, answer: 'First answer' });
    write('c-one', 't2', { question: 'Follow-up', at: 2000, dollars: 0.02, parent: 't1' });
    const store = new ConversationStore(memento, { library, isRunning: () => false });
    assert.equal(store.continueConversation('c-one'), true);
    await store.flush();

    const reloaded = new ConversationStore(memento, { library, isRunning: () => false });
    const snap = reloaded.snapshot();
    assert.equal(snap.current.id, 'c-one');
    assert.equal(snap.current.taskCount, 2);
    const end = snap.current.events.filter((e) => e.type === 'error' || e.type === 'done');
    assert.deepEqual(
      end.map((e) => [e.taskId, e.type, e.type === 'error' ? e.code : '']),
      [
        ['t1', 'done', ''],
        ['t2', 'error', 'interrupted'],
      ],
    );
    assert.equal(end[1].type === 'error' && end[1].totals.dollars, 0.02, 'what it spent before it was interrupted');
    assert.deepEqual(snap.resumable, ['t2']);
    assert.equal(snap.recorded, true);
    assert.ok(JSON.stringify(memento.data.get('orchestra.panel.conversations.v2')).length < 200, 'the memento holds ids, not events');
    // A task still running in the engine is not called interrupted.
    const running = new ConversationStore(memento, { library, isRunning: (id) => id === 't2' }).snapshot();
    assert.ok(!running.current.events.some((e) => e.type === 'error'));

    // New: the conversation goes to history; it can be opened, continued, exported and deleted.
    reloaded.newConversation();
    const fresh = reloaded.snapshot();
    assert.equal(fresh.current.events.length, 0);
    assert.deepEqual(
      fresh.history.map((c) => [c.id, c.title, c.taskCount, c.models]),
      [['c-one', 'First question', 2, ['orch']]],
    );
    assert.equal(reloaded.record('c-one')?.events.filter((e) => e.type === 'task_started').length, 2);
    assert.match(reloaded.markdown('c-one'), /^# First question[\s\S]*## 2\. Follow-up/);
    assert.equal(reloaded.deleteConversation('c-one'), true);
    assert.equal(existsSync(library.folder('c-one')), false, 'every record of it is gone');
    assert.deepEqual(reloaded.snapshot().history, []);
  });

  test('an edited question or a retry branches: what followed leaves the view; branches switch from the journals', () => {
    const { library, write } = scratchLibrary();
    write('c-br', 'a1', { question: 'Q1', at: 1000, dollars: 0, answer: 'A1' });
    write('c-br', 'a2', { question: 'Q2', at: 2000, dollars: 0, parent: 'a1', answer: 'A2' });
    const store = new ConversationStore(new MemoryMemento(), { library });
    store.continueConversation('c-br');
    assert.deepEqual(store.placeFor(), { conversationId: 'c-br', parentTaskId: 'a2' }, 'a follow-up goes after the last task');
    // Editing Q2 asks beside it: after a1. Q2's task leaves the view.
    const place = store.placeFor('a2');
    assert.deepEqual(place, { conversationId: 'c-br', parentTaskId: 'a1' });
    store.expect('b2', place);
    assert.ok(!store.snapshot().current.events.some((e) => e.taskId === 'a2'));
    write('c-br', 'b2', { question: 'Q2 edited', at: 3000, dollars: 0, parent: 'a1', answer: 'B2' });
    assert.deepEqual(store.snapshot().branches, { b2: { siblings: ['a2', 'b2'], index: 1 } });
    // Switching back shows a2 again, from its journal.
    assert.equal(store.selectBranch('a2'), true);
    const shown = store
      .snapshot()
      .current.events.filter((e) => e.type === 'task_started')
      .map((e) => e.taskId);
    assert.deepEqual(shown, ['a1', 'a2']);
    // A question that never started leaves the branch again.
    store.expect('x9', store.placeFor());
    store.forget('x9');
    assert.deepEqual(store.placeFor(), { conversationId: 'c-br', parentTaskId: 'a2' });
  });

  test('without a storage folder, the current conversation is kept in memory and nothing is resumable', () => {
    const store = new ConversationStore(new MemoryMemento());
    const s = mainScenario('m1');
    for (const e of [...s.start, ...s.progress, ...s.answer]) store.append(e);
    const snap = store.snapshot();
    assert.equal(snap.current.taskCount, 1);
    assert.equal(snap.current.events.filter((e) => e.type === 'answer_delta').length, 1, 'answer deltas merged');
    assert.equal(snap.recorded, false);
    assert.deepEqual(snap.history, []);
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
    // Compacted as sent to the panel: live output of finished calls dropped (their results stay).
    assert.equal(
      again.current.events.length,
      compactForStorage(EventLog.from([...s.start, ...s.progress]).events, { maxResultChars: 16_000 }).length,
    );
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
    session.receive({ type: 'setOrchestrator', model: 'orch-b' });
    session.receive({ type: 'setOrchestratorAutomatic' });
    session.receive({ type: 'setBudget', dollars: 2 });
    session.receive({ type: 'insertCode', code: 'x', language: 'ts' });
    session.receive({ type: 'applyCode', code: 'y' });
    session.receive({ type: 'copy', text: 'z' });
    session.receive({ type: 'openFile', path: 'src/a.ts', line: 12 });
    session.receive({ type: 'runCommand', command: 'discover' });
    session.receive({ type: 'runCommand', command: 'downloadLocalModel' });
    session.receive({ type: 'runCommand', command: 'useLocalModelFile' });
    session.receive({ type: 'newConversation' });
    session.receive({ type: 'openLink', url: 'https://example.com' });
    session.receive({ type: 'openLink', url: 'javascript:alert(1)' });
    session.receive({ type: 'setBudget', dollars: 'lots' });
    assert.deepEqual(calls, [
      ['ask', 'q', [{ kind: 'file', path: 'a.ts', text: 'x' }], calls[0][3]],
      ['cancel', 't1'],
      ['cancelCall', 't1', 'call_2'],
      ['approve', 'a1', true],
      ['setPrivacyMode', 'open-weights-only'],
      ['setOrchestrator', 'orch-b'],
      ['setOrchestratorAutomatic'],
      ['setBudget', 2],
      ['insertCode', 'x', 'ts'],
      ['applyCode', 'y', undefined],
      ['copy', 'z'],
      ['openFile', 'src/a.ts', 12],
      ['runCommand', 'discover'],
      ['runCommand', 'downloadLocalModel'],
      ['runCommand', 'useLocalModelFile'],
      ['newConversation'],
    ]);
    // The question is placed in the current conversation, with a task id chosen before it is asked.
    const ticket = calls[0][3] as { taskId: string; conversationId: string; parentTaskId?: string };
    assert.match(ticket.taskId, /^[A-Za-z0-9-]+$/);
    assert.match(ticket.conversationId, /^c-/);
    assert.equal(ticket.parentTaskId, undefined);
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
