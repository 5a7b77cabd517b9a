// Every command id the extension registers. Kept apart from commands.ts so that extension.ts (the
// small bundle loaded at activation) can register them all without loading their handlers.
export const COMMANDS = {
  ask: 'orchestra.ask',
  askAboutSelection: 'orchestra.askAboutSelection',
  delegateSelection: 'orchestra.delegateSelection',
  openPanel: 'orchestra.openPanel',
  setPrivacyMode: 'orchestra.setPrivacyMode',
  addModel: 'orchestra.addModel',
  setApiKey: 'orchestra.setApiKey',
  discoverLocalServers: 'orchestra.discoverLocalServers',
  exportTrajectory: 'orchestra.exportTrajectory',
  showLog: 'orchestra.showLog',
  cancelTask: 'orchestra.cancelTask',
  restartEngine: 'orchestra.restartEngine',
  newConversation: 'orchestra.newConversation',
  downloadLocalModel: 'orchestra.downloadLocalModel',
  useLocalModelFile: 'orchestra.useLocalModelFile',
  openWalkthrough: 'orchestra.openWalkthrough',
  // The Models view: its title bar, and the actions of each row (a row, a model id, or nothing to pick one).
  refreshModels: 'orchestra.models.refresh',
  testModel: 'orchestra.models.test',
  editModel: 'orchestra.models.edit',
  removeModel: 'orchestra.models.remove',
  setModelKey: 'orchestra.models.setKey',
  clearModelKey: 'orchestra.models.clearKey',
  useAsOrchestrator: 'orchestra.models.useAsOrchestrator',
  preferModel: 'orchestra.models.prefer',
  unpreferModel: 'orchestra.models.unprefer',
  denyModel: 'orchestra.models.deny',
  allowModel: 'orchestra.models.allow',
  resetQuality: 'orchestra.models.resetQuality',
  // An `orchestra eval` run's report (its Pareto plot and table) in a webview panel.
  openEvalReport: 'orchestra.openEvalReport',
} as const;

/** Used by the panel's code-block buttons, the Chat view's buttons and keybindings; not in the command palette. */
export const EDITOR_COMMANDS = ['orchestra.insertCode', 'orchestra.applyCode', 'orchestra.showTask'] as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS] | (typeof EDITOR_COMMANDS)[number];

export const COMMAND_IDS: readonly CommandId[] = [...Object.values(COMMANDS), ...EDITOR_COMMANDS];
