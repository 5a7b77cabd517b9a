// Where the engine meets a task's conversation: the journal it writes while the task runs, and the
// earlier turns it reads for a follow-up. Kept here so the engine only calls two functions.
import type { ResumeRequest, TaskRequest } from '../engine-api';
import { TaskFailure } from '../orchestrator/task-tree';
import { JOURNAL_VERSION, TaskJournal, type JournalHeader, type ParsedJournal } from './journal';
import { ConversationLibrary } from './library';
import { priorTurns, type PriorTurn } from './context';

type Conversation = NonNullable<TaskRequest['conversation']>;

export function taskHeader(req: TaskRequest, taskId: string): Omit<JournalHeader, 'type' | 'version' | 'conversationId' | 'parentTaskId'> {
  return {
    taskId,
    question: req.question,
    attachments: req.attachments ?? [],
    preferRole: req.preferRole,
    orchestratorModel: req.orchestratorModel,
    privacyMode: req.privacyMode,
    maxDollars: req.maxDollars,
    startedAt: Date.now(),
  };
}

/**
 * Opens the task's journal in its conversation's folder and writes the header (a resumed task: a
 * line that says a new run starts). An id that cannot name a file gives a journal that reports why.
 */
export function openTaskJournal(
  c: Conversation,
  header: ReturnType<typeof taskHeader>,
  scrub: (line: string) => string,
  resumed = false,
): TaskJournal {
  let path: string;
  try {
    path = new ConversationLibrary(c.dir).journalPath(c.id, header.taskId);
  } catch (err) {
    return new TaskJournal('', scrub, `cannot record the task: ${(err as Error).message}`);
  }
  const journal = new TaskJournal(path, scrub);
  if (resumed) journal.write({ type: 'resume', at: Date.now() });
  else journal.write({ type: 'header', version: JOURNAL_VERSION, conversationId: c.id, parentTaskId: c.parentTaskId, ...header });
  return journal;
}

/**
 * The task a Resume runs again, rebuilt from its record: the same question, attachments, place in
 * the conversation and orchestrator choice. Throws, naming why, when there is no record or the task
 * already answered.
 */
export function resumeRequest(req: ResumeRequest): { request: TaskRequest; record: ParsedJournal } {
  const library = new ConversationLibrary(req.conversation.dir);
  const record = library.journal(req.conversation.id, req.taskId);
  if (!record?.header) throw new Error(`there is no record of task ${req.taskId} in ${library.folder(req.conversation.id)}`);
  if (record.end?.ok) throw new Error(`task ${req.taskId} has already answered; ask again to run it anew`);
  const h = record.header;
  return {
    record,
    request: {
      taskId: h.taskId,
      question: h.question,
      attachments: h.attachments,
      preferRole: h.preferRole,
      orchestratorModel: h.orchestratorModel,
      privacyMode: h.privacyMode,
      maxDollars: h.maxDollars,
      workspace: req.workspace,
      trajectoryPath: req.trajectoryPath,
      conversation: { dir: req.conversation.dir, id: req.conversation.id, parentTaskId: h.parentTaskId },
    },
  };
}

/** The conversation's turns before this task; a missing record fails the task rather than lose its context. */
export function earlierTurns(c: Conversation | undefined): PriorTurn[] {
  if (!c?.parentTaskId) return [];
  try {
    return priorTurns(new ConversationLibrary(c.dir), c.id, c.parentTaskId);
  } catch (err) {
    throw new TaskFailure('config', (err as Error).message);
  }
}
