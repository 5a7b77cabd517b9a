// Orchestra's orchestrator as an MCP server, for other agents: the `ask` tool runs a question as an
// Orchestra task under the configuration's privacy and budget rules (a caller may only make them
// stricter), reports progress while it works and answers with the cost, the models used and the
// trajectory id; `models` lists the pool; each finished task's trajectory is a resource. One server
// object per client session; every `ask` is its own task.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { PRIVACY_MODES, type PrivacyMode } from '../core/config';
import type { Engine, TaskOutcome } from '../core/engine-api';
import { newId } from '../core/ids';
import { priceLabel } from '../core/pool';
import { costSummary, unpricedLabel } from '../core/protocol/cost-text';
import type { EngineEvent } from '../core/protocol/events';
import { fmtDollars } from '../core/budget';
import type { ApprovalRequest } from '../core/tools/tool';

export const MCP_SERVER_NAME = 'orchestra';

/** What every session shares: the engine, its workspace, and who answers each task's approvals. */
export interface McpContext {
  engine: Engine;
  workspace: string;
  version: string;
  /** Approve every approval request (`--yes`); otherwise the client is asked, when it can answer. */
  approveAll: boolean;
  /** Per task id: how its approvals are asked (set while the task runs). */
  approvers: Map<string, (req: ApprovalRequest) => Promise<boolean>>;
  log(message: string): void;
}

const AskInput = {
  question: z.string().trim().min(1, 'the question is empty').max(100_000).describe('The coding question, with any code it is about'),
  privacy: z
    .enum(PRIVACY_MODES)
    .optional()
    .describe('A stricter privacy mode for this question (any < open-weights-only < local-only); a looser one is refused'),
  maxDollars: z.number().nonnegative().optional().describe('A lower dollar cap for this question; above the configured cap is refused'),
};

const AskOutput = {
  ok: z.boolean(),
  answer: z.string(),
  error: z.string().optional(),
  taskId: z.string(),
  trajectoryId: z.string().describe('Read the trajectory as the resource orchestra://trajectories/<id>'),
  dollars: z.number(),
  cost: z.string().describe('The cost in words; calls on subscription or unknown-price models are named, never counted as $0'),
  models: z.array(z.string()),
  remoteHosts: z.array(z.string()).describe('Hosts that received data; empty means nothing left the machine'),
  calls: z.number(),
  wallMs: z.number(),
  privacyMode: z.string(),
};

/** The events a person would want to follow while an `ask` runs, as one line each. */
export function progressLine(e: EngineEvent): string | undefined {
  switch (e.type) {
    case 'task_started':
      return e.parentCallId
        ? `subtask led by ${e.orchestratorModel}`
        : `started: orchestrator ${e.orchestratorModel || '(none)'}, privacy ${e.privacyMode}, budget $${fmtDollars(e.budgetDollars)}`;
    case 'turn_started':
      return e.parentCallId ? undefined : `turn ${e.turn}`;
    case 'tool_call_started':
      return `${e.tool}${e.model ? ` [${e.model}]` : ''} ${e.state === 'queued' ? 'queued' : 'running'}`;
    case 'tool_call_finished': {
      const cost = e.pricing ? unpricedLabel(e.pricing) : `$${fmtDollars(e.dollars)}`;
      return `${e.tool}${e.model ? ` [${e.model}]` : ''} ${e.state} · ${cost} · ${(e.latencyMs / 1000).toFixed(1)} s${e.error ? ` — ${e.error.slice(0, 200)}` : ''}`;
    }
    case 'approval_requested':
      return `approval needed: ${e.title}`;
    default:
      return undefined;
  }
}

function checkLimits(
  engine: Engine,
  privacy: PrivacyMode | undefined,
  maxDollars: number | undefined,
): { ok: true } | { ok: false; message: string } {
  const config = engine.config;
  if (privacy && PRIVACY_MODES.indexOf(privacy) < PRIVACY_MODES.indexOf(config.privacyMode))
    return {
      ok: false,
      message: `privacy "${privacy}" is looser than the configured "${config.privacyMode}"; a caller can only make it stricter`,
    };
  if (maxDollars !== undefined && maxDollars > config.budget.maxDollarsPerTask)
    return {
      ok: false,
      message: `maxDollars $${maxDollars} is above the configured cap of $${fmtDollars(config.budget.maxDollarsPerTask)}; a caller can only lower it`,
    };
  return { ok: true };
}

/** A new MCP server (one per client session) over the shared engine. */
export function createMcpServer(ctx: McpContext): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: ctx.version },
    {
      instructions:
        'Orchestra answers coding questions about the workspace it serves by coordinating its own pool of models and tools, within the privacy mode and dollar budget its user configured. Use `ask` for a question; `models` lists the pool.',
    },
  );

  registerAsk(server, ctx);
  registerModels(server, ctx);
  registerTrajectories(server, ctx);
  return server;
}

/** `ask`: a question as an Orchestra task, with progress notifications and the answer's facts. */
function registerAsk(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'ask',
    {
      title: 'Ask Orchestra',
      description:
        "Solve a coding question in Orchestra's workspace: Orchestra's orchestrator splits it into tool calls and subtasks for its pool of models, under its user's privacy and budget rules. Returns the answer, its cost, the models used and the trajectory id. Sends progress notifications while it works.",
      inputSchema: AskInput,
      outputSchema: AskOutput,
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async ({ question, privacy, maxDollars }, extra) => {
      const limits = checkLimits(ctx.engine, privacy, maxDollars);
      if (!limits.ok) return { isError: true, content: [{ type: 'text', text: `Orchestra refused the question: ${limits.message}` }] };
      const taskId = newId('mcp');
      const progressToken = extra._meta?.progressToken;
      let progress = 0;
      const onEvent = (e: EngineEvent) => {
        if (progressToken === undefined) return;
        const message = progressLine(e);
        if (!message) return;
        progress++;
        void extra
          .sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } })
          .catch(() => undefined);
      };
      ctx.approvers.set(taskId, (req) => askClientApproval(server, req, extra.requestId, ctx));
      let outcome: TaskOutcome;
      try {
        outcome = await ctx.engine.ask(
          { taskId, question, workspace: ctx.workspace, privacyMode: privacy, maxDollars },
          onEvent,
          extra.signal,
        );
      } finally {
        ctx.approvers.delete(taskId);
      }
      const t = outcome.totals;
      const structured = {
        ok: outcome.ok,
        answer: outcome.answer ?? '',
        ...(outcome.error ? { error: `${outcome.error.code}: ${outcome.error.message}` } : {}),
        taskId,
        trajectoryId: taskId,
        dollars: t.dollars,
        cost: costSummary(t, (d) => `$${fmtDollars(d)}`),
        models: t.models,
        remoteHosts: t.remoteHosts,
        calls: t.calls,
        wallMs: t.wallMs,
        privacyMode: stricter(ctx.engine.config.privacyMode, privacy),
      };
      const footer = `— Orchestra: ${structured.cost} · models ${t.models.join(', ') || 'none'} · ${t.remoteHosts.length ? `data sent to ${t.remoteHosts.join(', ')}` : 'nothing left this machine'} · trajectory ${taskId}`;
      ctx.log(`ask ${taskId}: ${outcome.ok ? 'answered' : `failed (${outcome.error?.code})`} · ${structured.cost}`);
      return {
        isError: !outcome.ok,
        content: [
          {
            type: 'text',
            text: outcome.ok ? (outcome.answer ?? '') : `Orchestra could not answer: ${outcome.error?.message ?? 'the task failed'}`,
          },
          { type: 'text', text: footer },
        ],
        structuredContent: structured,
      };
    },
  );
}

/** `models`: the pool and what the current rules allow. */
function registerModels(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'models',
    {
      title: "Orchestra's models",
      description:
        "The models in Orchestra's pool: roles, price, where they run, and whether the current privacy and deny rules allow them.",
      inputSchema: {},
      outputSchema: {
        privacyMode: z.string(),
        models: z.array(
          z.object({
            id: z.string(),
            roles: z.array(z.string()),
            price: z.string(),
            local: z.boolean(),
            openWeights: z.boolean(),
            eligible: z.boolean(),
            reason: z.string().optional(),
          }),
        ),
      },
      annotations: { readOnlyHint: true },
    },
    () => {
      const models = ctx.engine.listModels().map((m) => ({
        id: m.id,
        roles: m.roles,
        price: priceLabel(m),
        local: m.local,
        openWeights: m.openWeights,
        eligible: m.eligible,
        ...(m.ineligibleReason ? { reason: m.ineligibleReason } : {}),
      }));
      const text = models
        .map(
          (m) =>
            `${m.id} — ${m.roles.join(', ')} — ${m.price} — ${m.local ? 'local' : 'remote'}${m.eligible ? '' : ` — not usable: ${m.reason}`}`,
        )
        .join('\n');
      return {
        content: [{ type: 'text', text: text || 'no models are configured' }],
        structuredContent: { privacyMode: ctx.engine.config.privacyMode, models },
      };
    },
  );
}

/** Each finished task's trajectory, as a resource. */
function registerTrajectories(server: McpServer, ctx: McpContext): void {
  server.registerResource(
    'trajectory',
    new ResourceTemplate('orchestra://trajectories/{taskId}', { list: undefined }),
    {
      title: 'Task trajectory',
      description: 'The JSONL trajectory of a task this server ran (the last few are kept)',
      mimeType: 'application/jsonl',
    },
    (uri, { taskId }) => {
      const jsonl = ctx.engine.trajectory(String(taskId));
      if (jsonl === undefined) throw new Error(`no trajectory for task "${String(taskId)}" (only the last few tasks are kept)`);
      return { contents: [{ uri: uri.href, mimeType: 'application/jsonl', text: jsonl }] };
    },
  );
}

function stricter(configured: PrivacyMode, asked: PrivacyMode | undefined): PrivacyMode {
  return asked && PRIVACY_MODES.indexOf(asked) > PRIVACY_MODES.indexOf(configured) ? asked : configured;
}

/**
 * An approval (running code, a paid call past the soft limit, an MCP tool) asked of the MCP client
 * through elicitation when it supports it; denied otherwise unless the server runs with --yes.
 */
async function askClientApproval(
  server: McpServer,
  req: ApprovalRequest,
  relatedRequestId: string | number,
  ctx: McpContext,
): Promise<boolean> {
  if (ctx.approveAll) return true;
  if (!server.server.getClientCapabilities()?.elicitation) {
    ctx.log(
      `approval needed (${req.kind}): ${req.title} — denied: the client cannot be asked (no elicitation); start with --yes to approve`,
    );
    return false;
  }
  try {
    const r = await server.server.elicitInput(
      {
        message: `${req.title}\n\n${req.detail}`,
        requestedSchema: {
          type: 'object',
          properties: { approve: { type: 'boolean', title: 'Approve', description: 'Allow Orchestra to do this' } },
          required: ['approve'],
        },
      },
      { relatedRequestId },
    );
    return r.action === 'accept' && r.content?.approve === true;
  } catch (err) {
    ctx.log(`approval ${req.kind} could not be asked, denied: ${(err as Error).message}`);
    return false;
  }
}
