// The Models view's commands: each resolves its row (the tree node it was invoked on, a model id, or
// a pick) and runs the action of model-actions.ts.
import { COMMANDS } from '../command-ids';
import type { Orchestra } from '../orchestra';
import * as vscode from 'vscode';
import {
  clearModelKey,
  editModel,
  removeModel,
  resetQuality,
  resolveRow,
  setListed,
  setModelKey,
  testModel,
  useAsOrchestrator,
} from './model-actions';
import { qualityText } from './model-rows';
import type { ModelRow } from './model-rows';
import type { ModelsView } from './models-view';

type Handler = (target?: unknown) => Promise<unknown>;
type ModelCommand = (typeof COMMANDS)[
  | 'refreshModels'
  | 'testModel'
  | 'editModel'
  | 'removeModel'
  | 'setModelKey'
  | 'clearModelKey'
  | 'useAsOrchestrator'
  | 'preferModel'
  | 'unpreferModel'
  | 'denyModel'
  | 'allowModel'
  | 'resetQuality'];

export function modelCommandHandlers(o: Orchestra, view: ModelsView): Record<ModelCommand, Handler> {
  const on =
    (verb: string, action: (row: ModelRow) => Promise<unknown>, filter?: (r: ModelRow) => boolean): Handler =>
    async (target) => {
      const row = await resolveRow(view, target as Parameters<typeof resolveRow>[1], verb, filter);
      return row ? action(row) : undefined;
    };
  const settingsEntry = (r: ModelRow) => r.source === 'settings';
  return {
    [COMMANDS.refreshModels]: async () => {
      o.refreshModelsSoon();
      await view.refresh();
    },
    [COMMANDS.testModel]: on('test', (r) => testModel(o, view, r)),
    [COMMANDS.editModel]: on('edit', (r) => editModel(o, view, r), settingsEntry),
    [COMMANDS.removeModel]: on('remove', (r) => removeModel(o, view, r)),
    [COMMANDS.setModelKey]: on('give an API key', (r) => setModelKey(o, view, r), settingsEntry),
    [COMMANDS.clearModelKey]: on(
      'clear the API key of',
      (r) => clearModelKey(o, view, r),
      (r) => r.key !== 'none',
    ),
    [COMMANDS.useAsOrchestrator]: on('use as orchestrator', (r) => useAsOrchestrator(o, view, r), settingsEntry),
    [COMMANDS.preferModel]: on(
      'prefer',
      (r) => setListed(o, view, r, 'preferredModels', true),
      (r) => !r.preferred,
    ),
    [COMMANDS.unpreferModel]: on(
      'stop preferring',
      (r) => setListed(o, view, r, 'preferredModels', false),
      (r) => r.preferred,
    ),
    [COMMANDS.denyModel]: on(
      'deny',
      (r) => setListed(o, view, r, 'deniedModels', true),
      (r) => !r.denied,
    ),
    // On a row: that model. From the view's title or the palette: every model, or the one picked.
    [COMMANDS.resetQuality]: async (target) => {
      if (target !== undefined) return on('reset the quality estimates of', (r) => resetQuality(o, view, r))(target);
      await view.refresh();
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'All models', row: 'all' as const },
          ...view.models.map((r) => ({ label: r.id, description: r.quality[0] && `quality ${qualityText(r.quality[0])}`, row: r })),
        ],
        { title: 'Orchestra: reset quality estimates', placeHolder: 'Whose evidence to forget?' },
      );
      return pick ? resetQuality(o, view, pick.row) : undefined;
    },
    [COMMANDS.allowModel]: on(
      'allow again',
      (r) => setListed(o, view, r, 'deniedModels', false),
      (r) => r.denied,
    ),
  };
}
