// The panel's model lists: the pool as the engine sees it (the header's Models toggle) and the local
// GGUF files the settings name, and the empty state that offers a first model (download one, use a
// GGUF file, discover a local server, add an endpoint) before any is configured.
import type { PanelLocalModel, PanelModel, PanelStatus } from '../../src/protocol/panel';
import { formatBytes, formatMs, h } from './format';
import type { CommandButton } from './header';

/** A model's price per million tokens in and out, or "free". */
export function priceText(m: PanelModel): string {
  if (m.inputPricePerMillion === 0 && m.outputPricePerMillion === 0) return 'free';
  return `$${m.inputPricePerMillion}/$${m.outputPricePerMillion} per M tokens`;
}

function poolModelItem(m: PanelModel): HTMLElement {
  return h(
    'li',
    { class: 'pool-model', 'data-model-id': m.id, 'data-eligible': String(m.eligible) },
    h(
      'div',
      { class: 'model-line' },
      h('code', { class: 'model-id' }, m.id),
      h('span', { class: `badge ${m.local ? 'local' : 'remote'}` }, m.local ? 'local' : 'remote'),
      m.openWeights ? h('span', { class: 'badge open' }, 'open weights') : null,
    ),
    h(
      'div',
      { class: 'model-meta' },
      h('span', { class: 'model-price' }, priceText(m)),
      ' · ',
      h('span', { class: 'model-latency' }, m.latencyMs !== undefined ? `${formatMs(m.latencyMs)} measured` : 'latency not measured yet'),
      m.roles.length ? ` · ${m.roles.join(', ')}` : '',
      m.toolCallFormat ? ` · tool calls: ${m.toolCallFormat}${m.detectedToolCallFormat ? ` (${m.detectedToolCallFormat})` : ''}` : '',
    ),
    h(
      'div',
      { class: `model-eligibility ${m.eligible ? 'ok' : 'no'}` },
      m.eligible ? '✓ may be called' : `✕ ${m.ineligibleReason ?? 'not eligible'}`,
    ),
  );
}

export function localModelItem(m: PanelLocalModel): HTMLElement {
  const facts = [
    m.sizeBytes !== undefined ? formatBytes(m.sizeBytes) : undefined,
    [m.architecture, m.parameterLabel, m.quantization].filter(Boolean).join(' ') || undefined,
    m.trainedContextLength ? `trained context ${m.trainedContextLength.toLocaleString('en-US')} tokens` : undefined,
  ].filter(Boolean);
  const name = m.file.split(/[\\/]/).pop() ?? m.file;
  return h(
    'li',
    { class: 'local-model', 'data-file': m.file, 'data-served': String(m.served) },
    h(
      'div',
      { class: 'model-line' },
      h('code', { class: 'model-id', title: m.file }, name),
      m.served ? h('span', { class: 'badge local' }, 'serving') : null,
    ),
    facts.length ? h('div', { class: 'model-meta' }, facts.join(' · ')) : null,
    m.memorySummary ? h('div', { class: `model-memory ${m.fits === false ? 'no' : 'ok'}` }, `Memory: ${m.memorySummary}`) : null,
    m.problem ? h('div', { class: 'model-problem' }, `✕ ${m.problem}`) : null,
  );
}

export function renderModelsPanel(el: HTMLElement, status: PanelStatus | undefined, commandButton: CommandButton, close: () => void): void {
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close models' }, '✕');
  closeButton.addEventListener('click', close);
  const pool = status?.models;
  const local = status?.localModels ?? [];
  el.replaceChildren(
    h('div', { class: 'history-head' }, h('h2', {}, 'Models'), closeButton),
    pool === undefined
      ? h('p', { class: 'muted' }, 'The engine has not reported its models yet.')
      : pool.length
        ? h('ul', { class: 'pool-model-list' }, ...pool.map(poolModelItem))
        : h('p', { class: 'muted' }, 'No model is configured.'),
    ...(local.length ? [h('h3', {}, 'Local model files'), h('ul', { class: 'local-model-list' }, ...local.map(localModelItem))] : []),
    h(
      'div',
      { class: 'empty-actions' },
      commandButton('Download a model', 'downloadLocalModel'),
      commandButton('Use a GGUF file', 'useLocalModelFile'),
      commandButton('Add model', 'addModel'),
    ),
  );
}

/** The log's empty state: how to get a first model, the engine starting, or what to ask. */
export function renderEmptyState(el: HTMLElement, status: PanelStatus | undefined, commandButton: CommandButton): void {
  if (status && status.modelCount === 0) {
    const unusable = (status.localModels ?? []).filter((m) => m.problem);
    el.replaceChildren(
      h('h2', {}, 'No model configured yet'),
      h(
        'p',
        {},
        'Orchestra can run a model itself, with nothing else to install: download a recommended one or use a GGUF file you already have. Local models keep your code on this machine.',
      ),
      h(
        'div',
        { class: 'empty-actions' },
        commandButton('Download a recommended model', 'downloadLocalModel', true),
        commandButton('Use a GGUF file on disk', 'useLocalModelFile'),
      ),
      ...(unusable.length
        ? [
            h(
              'div',
              { class: 'local-problems', role: 'status' },
              h('p', {}, 'These local models cannot run:'),
              h('ul', { class: 'local-model-list' }, ...unusable.map(localModelItem)),
            ),
          ]
        : []),
      h(
        'p',
        { class: 'empty-more' },
        'Or use a model server already running here (Ollama, LM Studio, llama.cpp, vLLM), or any OpenAI-compatible endpoint:',
      ),
      h('div', { class: 'empty-actions' }, commandButton('Discover local servers', 'discover'), commandButton('Add model', 'addModel')),
    );
  } else if (status?.engine.state === 'starting') {
    el.replaceChildren(h('h2', {}, 'Starting the engine…'), h('p', {}, 'You can type your question already.'));
  } else {
    el.replaceChildren(
      h('h2', {}, 'Ask Orchestra'),
      h(
        'p',
        {},
        'A small orchestrator model picks tools and models for your question. Every call shows up here live, with its model, cost and latency.',
      ),
      h(
        'ul',
        { class: 'hints' },
        h('li', {}, 'Select code in the editor and use “Ask about selection” to attach it.'),
        h('li', {}, 'Set Privacy below to “Local” to keep everything on this machine.'),
      ),
    );
  }
}
