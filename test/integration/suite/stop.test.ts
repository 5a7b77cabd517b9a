// Stop reaches everything, inside the real VS Code: the orchestrator delegates 8 subtasks that run in
// parallel (four stream slowly from the scripted model server, four run code that starts a child
// process); Stop (the Cancel command) closes every HTTP connection the server holds open, leaves no
// process behind, starts nothing afterwards, and the task ends as stopped with the cost so far.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { scriptedEngineSuite, until } from './helpers';

const TOUCHED = ['models', 'orchestrator.model', 'orchestrator.dialect', 'concurrency', 'tools.runCode.autoApprove'];
const MARKER = `orchestra-stop-marker-${process.pid}`;

/** Processes (not zombies) whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(marker) && !/^\d+ \(.*\) Z /.test(stat)) found.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

describe('Stop reaches everything', function () {
  this.timeout(120_000);
  const suite = scriptedEngineSuite(TOUCHED, {
    before: ({ api }) => api.approvals?.setModalFallback(false),
    after: ({ api }) => api?.approvals?.setModalFallback(true),
  });

  it('Stop during 8 parallel subtasks closes every connection, leaves no process and shows stopped with the cost so far', async () => {
    const { api, server, events } = suite;
    const config = vscode.workspace.getConfiguration('orchestra');
    const price = { inputPricePerMillion: 1, outputPricePerMillion: 2 };
    await config.update(
      'models',
      [
        { id: 'orch', baseUrl: server.url, model: 'stop-orch', roles: ['orchestrator'], openWeights: true, ...price },
        { id: 'sub', baseUrl: server.url, model: 'stop-sub', roles: ['general', 'code'], openWeights: true, ...price },
      ],
      vscode.ConfigurationTarget.Global,
    );
    await config.update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
    await config.update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
    await config.update('concurrency', 8, vscode.ConfigurationTarget.Global);
    await config.update('tools.runCode.autoApprove', true, vscode.ConfigurationTarget.Global);
    await until('the engine to know the test models', async () =>
      (await api.engine.listModels()).some((m) => m.id === 'sub' && m.baseUrl === server.url),
    );

    server.setHandler('stop-orch', () => ({
      toolCalls: [
        {
          name: 'delegate',
          arguments: {
            subtasks: Array.from({ length: 8 }, (_, i) => ({ task: i < 4 ? `run ${i}` : `stream ${i}`, model: 'sub' })),
          },
        },
      ],
    }));
    // A program that starts a child and waits: a process tree for Stop to take down.
    const code = `import subprocess, time\nsubprocess.Popen(["python3", "-c", "import time; time.sleep(300)  # ${MARKER}"])\ntime.sleep(300)`;
    server.setHandler('stop-sub', (body) => {
      const task = String(body.messages.find((m: { role: string }) => m.role === 'user')?.content ?? '');
      if (task.startsWith('run')) return { toolCalls: [{ name: 'run_code', arguments: { language: 'python', code } }] };
      return { content: 'still working '.repeat(2000), tokensPerSecond: 4 };
    });

    const { taskId } = await api.engine.ask({ question: 'Do eight things at once.' });
    const of = () => events.filter((e) => e.taskId === taskId);
    // Everything is under way: four child processes alive, four model streams open.
    await until('four code runs with their child processes', () => processesWith(MARKER).length >= 4, 60_000);
    await until('four open model streams', () => server.requestsFor('stop-sub').filter((r) => !r.finishedAt).length >= 4, 30_000);
    const before = server.requests.length;

    const cancelled = await vscode.commands.executeCommand<boolean>('orchestra.cancelTask', taskId);
    assert.equal(cancelled, true);
    const end = await until('the end of the task', () => of().find((e) => e.type === 'done' || e.type === 'error'), 30_000);
    assert.equal(end.type, 'error');
    assert.equal(end.type === 'error' && end.code, 'cancelled', JSON.stringify(end));
    // With what it cost so far: the orchestrator's turn and the subtasks' first turns were paid for.
    assert.ok(end.type === 'error' && end.totals.dollars > 0, `cost so far: ${JSON.stringify(end.type === 'error' && end.totals)}`);

    // Every connection the server held is closed: each request either finished before Stop or was cut by the client.
    await until('every request to end', () => server.requests.every((r) => r.finishedAt !== undefined) || undefined, 15_000);
    const streams = server.requestsFor('stop-sub').filter((r) => String(r.body.messages.at(-1)?.content ?? '').startsWith('stream'));
    assert.ok(streams.length >= 4, `${streams.length} streaming requests`);
    assert.ok(
      streams.every((r) => r.aborted),
      'every streaming request was aborted by the client',
    );
    // No process is left: the code runs and their children are gone.
    await until('the process trees to be gone', () => processesWith(MARKER).length === 0 || undefined, 15_000);
    // Nothing starts after Stop.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(server.requests.length, before, 'no request was sent after Stop');
    // Each subtask and each call ended as stopped, none as failed.
    const finished = of().filter((e) => e.type === 'tool_call_finished');
    const subtasks = finished.filter((e) => e.type === 'tool_call_finished' && e.tool === 'subtask');
    assert.equal(subtasks.length, 8);
    for (const s of subtasks) assert.equal(s.type === 'tool_call_finished' && s.state, 'cancelled', JSON.stringify(s));
    const runs = finished.filter((e) => e.type === 'tool_call_finished' && e.tool === 'run_code');
    assert.equal(runs.length, 4);
    for (const r of runs) assert.equal(r.type === 'tool_call_finished' && r.state, 'cancelled', JSON.stringify(r));
  });
});
