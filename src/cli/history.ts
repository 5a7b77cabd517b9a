// The CLI's conversations: where they are kept (a folder per workspace in the data folder), which one
// `ask --continue [ID]` continues, and `orchestra history` to list, show (Markdown) or delete them.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fmtDollars } from '../core/budget';
import { ConversationLibrary, branchOf, isSafeId } from '../core/conversations/library';
import { conversationMarkdown } from '../core/conversations/markdown';
import { UsageError, parseArgs } from './args';
import { sanitizeTerminal } from './terminal';

/** What these commands need of the CLI's io (cli.ts CliIo). */
interface HistoryIo {
  out(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** `--data-dir`, else $ORCHESTRA_DATA_DIR, else $XDG_DATA_HOME/orchestra, else ~/.local/share/orchestra. */
export function dataDir(flag: string | undefined, io: Pick<HistoryIo, 'env' | 'cwd'>): string {
  if (flag) return resolve(io.cwd, flag);
  if (io.env.ORCHESTRA_DATA_DIR) return resolve(io.cwd, io.env.ORCHESTRA_DATA_DIR);
  const base = io.env.XDG_DATA_HOME || join(io.env.HOME || homedir(), '.local', 'share');
  return join(base, 'orchestra');
}

/** The conversations of one workspace: `<data>/workspaces/<name>-<hash of its path>/conversations`. */
export function conversationsDir(data: string, workspace: string): string {
  const hash = createHash('sha256').update(workspace).digest('hex').slice(0, 12);
  const name =
    basename(workspace)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40) || 'root';
  return join(data, 'workspaces', `${name}-${hash}`, 'conversations');
}

/** Conversation ids as Orchestra makes them, to tell `--continue ID "question"` from `--continue "question"`. */
const CONVERSATION_ID = /^c-[a-z0-9]+-[a-z0-9]+$/;

/**
 * What `ask --continue` continues: the named conversation (first positional, when it looks like an
 * id) or the workspace's latest; and the task the new question follows (the newest line's last).
 * Fails with a usage error naming what is missing.
 */
export function continuation(
  library: ConversationLibrary,
  positionals: string[],
): { conversationId: string; parentTaskId: string; question: string } {
  let id: string | undefined;
  let rest = positionals;
  if (positionals.length > 1 && CONVERSATION_ID.test(positionals[0])) {
    id = positionals[0];
    rest = positionals.slice(1);
  }
  if (id && !library.has(id)) throw new UsageError(`no conversation ${id} in ${library.dir} (orchestra history lists them)`);
  id ??= library.latest()?.id;
  if (!id) throw new UsageError(`there is no conversation to continue in ${library.dir}; ask without --continue first`);
  const branch = branchOf(library.tasks(id));
  const tip = branch.at(-1);
  if (!tip) throw new UsageError(`conversation ${id} has no task to continue from`);
  return { conversationId: id, parentTaskId: tip.taskId, question: rest.join(' ').trim() };
}

export function historyCommand(argv: string[], io: HistoryIo): number {
  const a = parseArgs(argv, { values: ['--workspace', '--data-dir', '--delete'], booleans: ['--json', '--help'] });
  if (a.flags.has('--help')) {
    io.out(HISTORY_USAGE);
    return 0;
  }
  const workspace = resolve(io.cwd, a.values['--workspace'] ?? '.');
  const library = new ConversationLibrary(conversationsDir(dataDir(a.values['--data-dir'], io), workspace));
  const del = a.values['--delete'];
  if (del !== undefined) {
    if (!isSafeId(del) || !library.delete(del)) throw new UsageError(`no conversation ${del} in ${library.dir}`);
    io.out(`deleted conversation ${del}\n`);
    return 0;
  }
  if (a.positionals.length > 1) throw new UsageError('history takes at most one conversation id');
  const id = a.positionals[0];
  if (id) {
    if (!isSafeId(id) || !library.has(id)) throw new UsageError(`no conversation ${id} in ${library.dir}`);
    if (a.flags.has('--json')) {
      const tasks = library.tasks(id);
      io.out(`${JSON.stringify({ id, tasks, branch: branchOf(tasks).map((t) => t.taskId) }, null, 2)}\n`);
    } else io.out(sanitizeTerminal(conversationMarkdown(library, id)));
    return 0;
  }
  const list = library.list();
  if (a.flags.has('--json')) {
    io.out(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (!list.length) {
    io.out(`No conversations yet for ${workspace}.\n`);
    return 0;
  }
  const rows = [
    ['ID', 'DATE', 'QUESTIONS', 'COST', 'MODELS', 'TITLE'],
    ...list.map((c) => [
      c.id,
      new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' '),
      String(c.taskCount),
      `$${fmtDollars(c.dollars)}`,
      c.models.join(',') || '-',
      sanitizeTerminal(c.title.length > 60 ? `${c.title.slice(0, 59)}…` : c.title),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  io.out(rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n');
  return 0;
}

export const HISTORY_USAGE = `orchestra history [ID] [--workspace DIR] [--data-dir DIR] [--json] [--delete ID]
  without ID: the workspace's conversations (id, date, questions, cost, models, title), newest first
  with ID:    that conversation as Markdown (--json: its tasks and the branch shown)
  --delete ID removes a conversation and every record of it
`;
