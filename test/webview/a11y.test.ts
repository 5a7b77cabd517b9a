// Accessibility of the built panel in headless Chromium: axe-core (injected into the page) finds no
// serious or critical violation in any state — empty, a task running with cards and an approval, the
// answer streaming and done, history and the model list open — in the dark and the light theme; every
// control is reached with Tab and shows where the focus is; the streaming status is announced in a
// live region.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PanelStatus } from '../../src/protocol/panel';
import { mainScenario, msg } from './support/events';
import { openPanel, repoRoot, type PanelPage, panelSuite } from './support/panelPage';

const AXE = readFileSync(join(repoRoot, 'node_modules/axe-core/axe.min.js'), 'utf8');

const STATUS: PanelStatus = {
  privacyMode: 'any',
  budgetDollars: 0.5,
  sessionDollars: 0.0123,
  engine: { state: 'ready' },
  modelCount: 2,
  problems: [],
  orchestratorModel: 'orch-8b',
  models: [
    {
      id: 'orch-8b',
      local: true,
      openWeights: true,
      roles: ['orchestrator'],
      inputPricePerMillion: 0,
      outputPricePerMillion: 0,
      latencyMs: 120,
      eligible: true,
    },
    {
      id: 'gpt-5-mini',
      local: false,
      openWeights: false,
      roles: ['general'],
      inputPricePerMillion: 0.25,
      outputPricePerMillion: 2,
      eligible: false,
      ineligibleReason: 'denied',
    },
  ],
};

const suite = panelSuite();

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** axe-core over the whole page; the serious and critical violations. */
async function axe(p: PanelPage): Promise<Violation[]> {
  // Evaluated through the debugging protocol, as the panel's CSP would refuse an injected <script>.
  await p.page.evaluate(AXE);
  const found = await p.page.evaluate(async () => {
    const a = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            opts: object,
          ): Promise<{
            violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[]; failureSummary: string }> }>;
          }>;
        };
      }
    ).axe;
    const r = await a.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

async function checkAxe(p: PanelPage, state: string): Promise<void> {
  for (const theme of ['dark', 'light'] as const) {
    await p.setTheme(theme);
    await p.settle();
    const v = await axe(p);
    assert.deepEqual(v, [], `${state}, ${theme} theme: ${JSON.stringify(v, null, 2)}`);
  }
  await p.setTheme('dark');
}

describe('panel accessibility', () => {
  test('axe-core: no serious or critical violation, empty and with a task in every stage, dark and light', async () => {
    const p = await openPanel(suite.browser, suite.server);
    try {
      await p.send([{ type: 'status', status: STATUS }]);
      await checkAxe(p, 'empty');
      const s = mainScenario('a11y');
      await p.send([...s.start, ...s.progress, ...s.approvalTurn].map(msg));
      await checkAxe(p, 'running, approval waiting');
      await p.send([...s.approvalDone, ...s.delegateTurn, ...s.answer.slice(0, 20)].map(msg));
      await checkAxe(p, 'answer streaming');
      await p.send(s.answer.slice(20).map(msg));
      await checkAxe(p, 'done');
      // Every card opened: arguments, results drawn for their kind, links.
      const closed = p.page.locator('.card:not([hidden]) .card-toggle[aria-expanded="false"]');
      while ((await closed.count()) > 0) await closed.first().click();
      await checkAxe(p, 'cards opened');
      await p.page
        .getByRole('button', { name: /Models/ })
        .first()
        .click();
      await p.page
        .getByRole('button', { name: /History/ })
        .first()
        .click();
      await p.settle();
      await checkAxe(p, 'models and history open');
      // The composer's orchestrator menu (one model unavailable, with its reason); the privacy switch with a
      // mode the rules refuse, and focused.
      await p.page.locator('.orchestrator-picker').click();
      await checkAxe(p, 'orchestrator menu open');
      await p.page.keyboard.press('Escape');
      await p.send([{ type: 'status', status: { ...STATUS, privacyRefusals: { 'local-only': 'the workspace is not trusted' } } }]);
      await p.page.locator('.privacy-option[aria-checked="true"]').focus();
      await checkAxe(p, 'privacy switch, one mode refused');
    } finally {
      await p.close();
    }
  });

  test('every control is reached with Tab, and the focus shows on each', async () => {
    const p = await openPanel(suite.browser, suite.server);
    try {
      const s = mainScenario('keys');
      await p.send([{ type: 'status', status: STATUS }, ...[...s.start, ...s.progress, ...s.approvalTurn].map(msg)]);
      // What a keyboard user must be able to reach: every visible, enabled control.
      const controls = await p.page.evaluate(() => {
        const all = Array.from(
          document.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea, summary, [tabindex]:not([tabindex="-1"])'),
        )
          .filter((el) => !(el as HTMLButtonElement).disabled && el.checkVisibility() && el.getClientRects().length > 0)
          // A radio group is one Tab stop (its checked option); the arrows reach the others (checked below).
          .filter((el) => !(el.tabIndex === -1 && el.closest('[role="radiogroup"]')));
        all.forEach((el, i) => el.setAttribute('data-a11y-id', String(i)));
        return all.map(
          (el) =>
            `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}"`,
        );
      });
      assert.ok(controls.length > 10, `controls found: ${controls.length}`);
      const reached = new Map<string, { outline: string; shadow: string }>();
      await p.page.locator('body').click({ position: { x: 1, y: 1 } });
      for (let i = 0; i < controls.length * 2 + 10; i++) {
        await p.page.keyboard.press('Tab');
        const f = await p.page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body) return undefined;
          const cs = getComputedStyle(el);
          return { id: el.getAttribute('data-a11y-id') ?? '', outline: `${cs.outlineStyle} ${cs.outlineWidth}`, shadow: cs.boxShadow };
        });
        if (f?.id) reached.set(f.id, f);
      }
      const missed = controls.filter((_, i) => !reached.has(String(i)));
      assert.deepEqual(missed, [], 'controls Tab never reached');
      const unseen = [...reached].filter(([, f]) => /^none|0px/.test(f.outline) && f.shadow === 'none').map(([id]) => controls[Number(id)]);
      assert.deepEqual(unseen, [], 'controls that show no focus ring when focused from the keyboard');
      // The privacy switch: from its Tab stop the arrows reach every option, each with its focus ring.
      await p.page.locator('.privacy-option[aria-checked="true"]').focus();
      const options = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        await p.page.keyboard.press('ArrowRight');
        const f = await p.page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          return {
            value: el.getAttribute('data-value') ?? '',
            outline: `${getComputedStyle(el).outlineStyle} ${getComputedStyle(el).outlineWidth}`,
          };
        });
        options.set(f.value, f.outline);
      }
      assert.deepEqual([...options.keys()].sort(), ['any', 'local-only', 'open-weights-only']);
      assert.ok(
        [...options.values()].every((o) => !/^none|0px/.test(o)),
        JSON.stringify([...options]),
      );
    } finally {
      await p.close();
    }
  });

  test('the streaming status is announced in a polite live region: started, answering, approval, done', async () => {
    const p = await openPanel(suite.browser, suite.server);
    try {
      const region = p.page.locator('[role="status"][aria-live="polite"].status-announcer');
      assert.equal(await region.count(), 1);
      const s = mainScenario('live');
      await p.send(s.start.map(msg));
      assert.match(await region.innerText(), /Orchestra is working on: Why does parseConfig drop my second model entry\?/);
      await p.send([...s.progress, ...s.approvalTurn].map(msg));
      assert.match(await region.innerText(), /Approval needed: Run Python code/);
      await p.send([...s.approvalDone, ...s.delegateTurn, ...s.answer.slice(0, 5)].map(msg));
      assert.equal(await region.innerText(), 'Orchestra is answering…');
      // The subtasks' answers and the rest of the stream do not repeat it.
      await p.send(s.answer.slice(5).map(msg));
      assert.match(await region.innerText(), /^Answer complete: 6 calls, about \$0\.0083\.$/);
    } finally {
      await p.close();
    }
  });
});
