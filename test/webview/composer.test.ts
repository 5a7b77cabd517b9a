// The composer's orchestrator picker and privacy switch in the built panel, in headless Chromium: what
// they show, the picker's menu and the switch's one-click modes (by mouse and by keyboard), the models
// and modes the rules exclude shown unavailable with the reason, the message each switch posts to the extension, and the extension's
// answer (saved, or refused with the reason) shown in the composer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PanelStatus } from '../../src/protocol/panel';
import { openPanel, type PanelPage, panelSuite } from './support/panelPage';

const LONG = 'Qwen2.5-Coder-32B-Instruct-orchestrator-finetune-Q5_K_M';

const STATUS: PanelStatus = {
  privacyMode: 'local-only',
  budgetDollars: 0.5,
  sessionDollars: 0,
  engine: { state: 'ready' },
  modelCount: 3,
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
      eligible: true,
    },
    { id: LONG, local: true, openWeights: true, roles: ['general'], inputPricePerMillion: 0, outputPricePerMillion: 0, eligible: true },
    {
      id: 'gpt-5',
      local: false,
      openWeights: false,
      roles: ['general'],
      inputPricePerMillion: 1.25,
      outputPricePerMillion: 10,
      eligible: false,
      ineligibleReason: 'privacyMode local-only: gpt-5 runs remotely',
    },
  ],
};

const suite = panelSuite();

async function withPanel(fn: (p: PanelPage) => Promise<void>, width = 480): Promise<void> {
  const p = await openPanel(suite.browser, suite.server, { width, height: 700 });
  try {
    await p.send([{ type: 'status', status: STATUS }]);
    await fn(p);
    // (The stand-in server has no favicon: its 404 is not the panel's.)
    assert.deepEqual(
      p.errors.filter((e) => !/Failed to load resource/.test(e)),
      [],
      'no page errors, no CSP refusals',
    );
  } finally {
    await p.close();
  }
}

const switches = async (p: PanelPage) =>
  (await p.posted()).filter((m) => m.type === 'setOrchestrator' || m.type === 'setOrchestratorAutomatic' || m.type === 'setPrivacyMode');
const focused = (p: PanelPage) =>
  p.page.evaluate(() => document.activeElement?.getAttribute('data-value') ?? document.activeElement?.className);

describe('composer: orchestrator picker', () => {
  test('shows the current orchestrator; the menu lists the pool, the excluded model unavailable with its reason', async () => {
    await withPanel(async (p) => {
      const picker = p.page.getByRole('button', { name: /^Orchestrator: orch-8b/ });
      assert.equal(await picker.getAttribute('aria-haspopup'), 'menu');
      assert.equal(await picker.getAttribute('aria-expanded'), 'false');
      assert.match(await picker.innerText(), /orch-8b/);
      await picker.click();
      assert.equal(await picker.getAttribute('aria-expanded'), 'true');
      const menu = p.page.getByRole('menu', { name: 'Orchestrator model' });
      assert.equal(await menu.isVisible(), true);
      const items = menu.getByRole('menuitemradio');
      assert.equal(await items.count(), 3);
      assert.equal(await items.nth(0).getAttribute('aria-checked'), 'true', 'the current one is checked');
      assert.equal(await items.nth(1).getAttribute('aria-checked'), 'false');
      const remote = menu.getByRole('menuitemradio', { name: /gpt-5/ });
      assert.equal(await remote.getAttribute('aria-disabled'), 'true');
      assert.match(await remote.innerText(), /privacyMode local-only: gpt-5 runs remotely/, 'the reason is shown');
      assert.match((await remote.getAttribute('title')) ?? '', /runs remotely/, 'and on hover');
      assert.match(await items.nth(0).innerText(), /local · open weights · free · orchestrator role/);
      // Picking the unavailable model does nothing; the menu stays open with its reason.
      await remote.click({ force: true });
      assert.equal(await menu.isVisible(), true);
      assert.deepEqual(await switches(p), []);
      // Picking another posts the switch, closes the menu and says it is switching.
      await menu.getByRole('menuitemradio', { name: new RegExp(LONG.slice(0, 20)) }).click();
      assert.equal(await menu.isVisible(), false);
      assert.deepEqual(await switches(p), [{ type: 'setOrchestrator', model: LONG }]);
      assert.match(await p.page.locator('.composer-notice').innerText(), /Switching the orchestrator/);
      // The extension answers, then its status names the new orchestrator.
      await p.send([
        { type: 'settingResult', setting: 'orchestrator.model', ok: true, message: `Orchestrator: ${LONG} (saved in your user settings).` },
        { type: 'status', status: { ...STATUS, orchestratorModel: LONG } },
      ]);
      assert.match(await p.page.locator('.composer-notice[role="status"]').innerText(), /saved in your user settings/);
      assert.equal(await p.page.getByRole('button', { name: new RegExp(`^Orchestrator: ${LONG.replace(/\./g, '\\.')}`) }).count(), 1);
      await p.page.locator('.orchestrator-picker').click();
      assert.equal(await menu.getByRole('menuitemradio', { checked: true }).getAttribute('data-value'), LONG);
    });
  });

  test('keyboard: arrows open the menu on the current model and move, Enter picks, Escape closes and gives focus back', async () => {
    await withPanel(async (p) => {
      const picker = p.page.locator('.orchestrator-picker');
      await picker.focus();
      await p.page.keyboard.press('ArrowDown');
      assert.equal(await focused(p), 'orch-8b', 'the menu opens on the current orchestrator');
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('ArrowDown');
      assert.equal(await focused(p), 'gpt-5');
      await p.page.keyboard.press('Enter');
      assert.deepEqual(await switches(p), [], 'an unavailable model is not picked');
      await p.page.keyboard.press('Home');
      assert.equal(await focused(p), 'orch-8b');
      await p.page.keyboard.press('End');
      await p.page.keyboard.press('ArrowDown');
      assert.equal(await focused(p), 'orch-8b', 'the arrows wrap around');
      await p.page.keyboard.press('Escape');
      assert.equal(await p.page.locator('#orchestrator-menu').isVisible(), false);
      assert.equal(await focused(p), await picker.getAttribute('class'), 'focus is back on the picker');
      await p.page.keyboard.press('Enter');
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press(' ');
      assert.deepEqual(await switches(p), [{ type: 'setOrchestrator', model: LONG }]);
      assert.equal(await focused(p), await picker.getAttribute('class'));
      // Tab from an open menu closes it and goes on to the next control.
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('Tab');
      assert.equal(await p.page.locator('#orchestrator-menu').isVisible(), false);
      assert.equal(await focused(p), 'local-only', 'the privacy switch, on the mode in force');
    });
  });

  test('before the engine has listed its models the menu says so', async () => {
    await withPanel(async (p) => {
      await p.send([{ type: 'status', status: { ...STATUS, models: undefined } }]);
      await p.page.locator('.orchestrator-picker').click();
      assert.match(await p.page.locator('#orchestrator-menu').innerText(), /not listed its models yet/);
    });
  });
});

describe('composer: the picker’s "Automatic" entry', () => {
  const REASON = 'orchestrator.model is "orch-8b" in orchestra.json (edit the file to clear it)';
  const AUTO: PanelStatus = { ...STATUS, automaticOrchestrator: { active: true, model: 'orch-8b' } };
  const EXPLICIT: PanelStatus = { ...STATUS, orchestratorModel: LONG, automaticOrchestrator: { active: false, model: 'orch-8b' } };
  const menu = (p: PanelPage) => p.page.getByRole('menu', { name: 'Orchestrator model' });
  const entries = (p: PanelPage) =>
    menu(p)
      .getByRole('menuitemradio')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-value')}:${e.getAttribute('aria-checked')}:${e.getAttribute('aria-disabled') ?? '-'}`),
      );

  test('nothing set: the button says Automatic with the model it picks now; the entry is first, checked, and names that model', async () => {
    await withPanel(async (p) => {
      await p.send([{ type: 'status', status: AUTO }]);
      const picker = p.page.getByRole('button', { name: /^Orchestrator: Automatic \(orch-8b\)\. Change the orchestrator$/ });
      assert.equal(await picker.count(), 1);
      assert.match(await picker.innerText(), /Automatic ·\s+orch-8b/);
      assert.equal(await picker.getAttribute('data-automatic'), 'true');
      // The arrow opens the menu on the entry in force: Automatic.
      await picker.focus();
      await p.page.keyboard.press('ArrowDown');
      assert.deepEqual(await entries(p), [':true:-', 'orch-8b:false:-', `${LONG}:false:-`, 'gpt-5:false:true']);
      assert.equal(await focused(p), '', 'focus on Automatic');
      const auto = menu(p).getByRole('menuitemradio', { name: /^Automatic · orch-8b/ });
      assert.equal(await auto.count(), 1, 'its name says the model it resolves to');
      assert.match(await auto.innerText(), /orchestrator role/);
      // Enter on the entry in force changes nothing; picking a model by keyboard posts that model.
      await p.page.keyboard.press('Enter');
      assert.deepEqual(await switches(p), []);
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('ArrowDown');
      assert.equal(await focused(p), LONG);
      await p.page.keyboard.press('Enter');
      assert.deepEqual(await switches(p), [{ type: 'setOrchestrator', model: LONG }]);
      // No model allowed now: the button still says Automatic, with none.
      await p.send([{ type: 'status', status: { ...AUTO, orchestratorModel: undefined, automaticOrchestrator: { active: true } } }]);
      assert.equal(await p.page.getByRole('button', { name: /^Orchestrator: Automatic \(no model is allowed now\)/ }).count(), 1);
    });
  });

  test('a model set: it is checked; Automatic picked by mouse or keyboard posts setOrchestratorAutomatic, and the next status checks it', async () => {
    await withPanel(async (p) => {
      await p.send([{ type: 'status', status: EXPLICIT }]);
      const picker = p.page.locator('.orchestrator-picker');
      assert.equal(await picker.getAttribute('data-automatic'), 'false');
      assert.doesNotMatch(await picker.innerText(), /Automatic/);
      await picker.click();
      assert.deepEqual(await entries(p), [':false:-', 'orch-8b:false:-', `${LONG}:true:-`, 'gpt-5:false:true']);
      await menu(p)
        .getByRole('menuitemradio', { name: /^Automatic/ })
        .click();
      assert.equal(await menu(p).isVisible(), false);
      assert.deepEqual(await switches(p), [{ type: 'setOrchestratorAutomatic' }]);
      assert.match(await p.page.locator('.composer-notice').innerText(), /Switching the orchestrator/);
      // By keyboard: Home reaches it, Space picks it.
      await picker.focus();
      await p.page.keyboard.press('ArrowDown');
      assert.equal(await focused(p), LONG);
      await p.page.keyboard.press('Home');
      assert.equal(await focused(p), '');
      await p.page.keyboard.press(' ');
      assert.deepEqual((await switches(p)).at(-1), { type: 'setOrchestratorAutomatic' });
      assert.equal((await switches(p)).length, 2);
      await p.send([
        {
          type: 'settingResult',
          setting: 'orchestrator.model',
          ok: true,
          message: 'Orchestrator: Automatic, now orch-8b (removed from your user settings).',
        },
        { type: 'status', status: AUTO },
      ]);
      assert.match(await p.page.locator('.composer-notice').innerText(), /removed from your user settings/);
      assert.equal(await picker.getAttribute('data-automatic'), 'true');
      await picker.click();
      assert.equal(await menu(p).getByRole('menuitemradio', { checked: true }).getAttribute('data-value'), '');
    });
  });

  test('orchestra.json names the model: Automatic is unavailable, with the reason shown, on hover and when picked; nothing is posted', async () => {
    await withPanel(async (p) => {
      await p.send([
        { type: 'status', status: { ...EXPLICIT, automaticOrchestrator: { active: false, model: 'orch-8b', refusal: REASON } } },
      ]);
      await p.page.locator('.orchestrator-picker').click();
      assert.deepEqual(await entries(p), [':false:true', 'orch-8b:false:-', `${LONG}:true:-`, 'gpt-5:false:true']);
      const auto = menu(p).locator('[data-value=""]');
      assert.match(await auto.innerText(), /in orchestra\.json \(edit the file to clear it\)/, 'the reason is shown');
      assert.match((await auto.getAttribute('title')) ?? '', /in orchestra\.json/, 'and on hover');
      await auto.click({ force: true }); // Playwright will not click what is aria-disabled; a person can.
      const notice = p.page.locator('.composer-notice');
      assert.equal(await notice.innerText(), `Automatic · orch-8b is unavailable: ${REASON}.`);
      assert.equal(await notice.getAttribute('data-ok'), 'false');
      assert.equal(await menu(p).isVisible(), true, 'the menu stays open');
      await p.page.keyboard.press('Home');
      await p.page.keyboard.press('Enter');
      assert.deepEqual(await switches(p), [], 'nothing is posted');
      // Automatic in force is never shown unavailable, whatever the status says.
      await p.send([{ type: 'status', status: { ...AUTO, automaticOrchestrator: { active: true, model: 'orch-8b', refusal: REASON } } }]);
      assert.deepEqual((await entries(p))[0], ':true:-');
    });
  });
});

describe('composer: the picker in a short panel', () => {
  test('the menu is no taller than the room above the composer: nothing is cut off at the top, the rest scrolls', async () => {
    const p = await openPanel(suite.browser, suite.server, { width: 320, height: 260 });
    try {
      const many = Array.from({ length: 8 }, (_, i) => ({ ...STATUS.models![1], id: `model-${i}` }));
      await p.send([{ type: 'status', status: { ...STATUS, automaticOrchestrator: { active: false, model: 'orch-8b' }, models: many } }]);
      await p.page.locator('.orchestrator-picker').click();
      const box = await p.page.locator('#orchestrator-menu').boundingBox();
      assert.ok(box && box.y >= 0, `the menu starts inside the panel: ${JSON.stringify(box)}`);
      assert.equal(await p.page.locator('#orchestrator-menu').evaluate((m) => m.scrollHeight > m.clientHeight), true, 'it scrolls');
      // The first entry is where a click lands (Playwright checks that nothing else takes the click).
      await p.page.locator('#orchestrator-menu [data-value=""]').click({ timeout: 5000 });
      assert.deepEqual(await switches(p), [{ type: 'setOrchestratorAutomatic' }]);
    } finally {
      await p.close();
    }
  });
});

describe('composer: privacy switch', () => {
  const modes = (p: PanelPage) =>
    p.page
      .getByRole('radiogroup', { name: 'Privacy mode' })
      .getByRole('radio')
      .evaluateAll((els) =>
        els.map(
          (e) =>
            `${e.getAttribute('data-value')}:${e.getAttribute('aria-checked')}:${e.getAttribute('aria-disabled') ?? '-'}:${(e as HTMLElement).innerText.trim()}`,
        ),
      );

  test('shows the three modes, the one in force checked; one click posts the switch; a refusal is shown with its reason', async () => {
    await withPanel(async (p) => {
      const group = p.page.getByRole('radiogroup', { name: 'Privacy mode' });
      assert.equal(await group.getAttribute('data-mode'), 'local-only');
      assert.deepEqual(await modes(p), ['any:false:-:Any', 'open-weights-only:false:-:Open', 'local-only:true:-:Local']);
      // The full name and what it means are the accessible name and the tooltip.
      const any = group.getByRole('radio', { name: /^Any model: Local and remote models and tools may be used\.$/ });
      assert.equal(await any.count(), 1);
      assert.match((await any.getAttribute('title')) ?? '', /^Privacy: Any model — Local and remote/);
      assert.match(
        (await group.getByRole('radio', { name: /^Local only/ }).getAttribute('title')) ?? '',
        /Nothing leaves this machine.*\(in force\)/,
      );
      // One click: the switch is posted, no menu in between.
      await any.click();
      assert.deepEqual(await switches(p), [{ type: 'setPrivacyMode', mode: 'any' }]);
      assert.equal(await p.page.locator('[role="menu"]:visible').count(), 0, 'no menu opened');
      assert.match(await p.page.locator('.composer-notice').innerText(), /Switching the privacy mode/);
      // The extension refuses (orchestra.json keeps local-only): the composer says why, as an error.
      const reason =
        'Privacy stays as it is: the privacy mode is "local-only" in orchestra.json and stays in force (edit the file to loosen it).';
      await p.send([{ type: 'settingResult', setting: 'privacyMode', ok: false, message: reason }]);
      const notice = p.page.locator('.composer-notice');
      assert.equal(await notice.innerText(), reason);
      assert.equal(await notice.getAttribute('data-ok'), 'false');
      assert.equal(await group.getAttribute('data-mode'), 'local-only', 'the switch still shows the mode in force');
      // Clicking the mode in force posts nothing.
      await group.getByRole('radio', { name: /^Local only/ }).click();
      assert.equal((await switches(p)).length, 1);
      // Open weights in one click; the status that follows checks it.
      await group.getByRole('radio', { name: /^Open weights/ }).click();
      assert.deepEqual((await switches(p)).at(-1), { type: 'setPrivacyMode', mode: 'open-weights-only' });
      await p.send([{ type: 'status', status: { ...STATUS, privacyMode: 'open-weights-only' } }]);
      assert.deepEqual(await modes(p), ['any:false:-:Any', 'open-weights-only:true:-:Open', 'local-only:false:-:Local']);
      assert.equal(await group.getAttribute('data-mode'), 'open-weights-only');
    });
  });

  test('keyboard: Tab lands on the mode in force, the arrows move (wrapping) and switch, Tab leaves and comes back to the mode in force', async () => {
    await withPanel(async (p) => {
      await p.page.locator('.orchestrator-picker').focus();
      await p.page.keyboard.press('Tab');
      assert.equal(await focused(p), 'local-only', 'one tab stop: the mode in force');
      await p.page.keyboard.press('ArrowRight');
      assert.equal(await focused(p), 'any', 'the arrows wrap around');
      assert.deepEqual(await switches(p), [{ type: 'setPrivacyMode', mode: 'any' }]);
      await p.page.keyboard.press('ArrowLeft');
      assert.equal(await focused(p), 'local-only');
      assert.equal((await switches(p)).length, 1, 'moving back to the mode in force posts nothing');
      await p.page.keyboard.press('ArrowUp');
      assert.equal(await focused(p), 'open-weights-only');
      assert.deepEqual((await switches(p)).at(-1), { type: 'setPrivacyMode', mode: 'open-weights-only' });
      // The status arrives while focus is in the group: focus stays where it is.
      await p.send([{ type: 'status', status: { ...STATUS, privacyMode: 'open-weights-only' } }]);
      assert.equal(await focused(p), 'open-weights-only');
      await p.page.keyboard.press('Space');
      assert.equal((await switches(p)).length, 2, 'Space on the mode in force posts nothing');
      await p.page.keyboard.press('Home');
      assert.equal(await focused(p), 'any');
      await p.page.keyboard.press('Tab');
      assert.equal(await focused(p), 'budget-input', 'Tab leaves the group');
      await p.page.keyboard.press('Shift+Tab');
      assert.equal(await focused(p), 'open-weights-only', 'and comes back to the mode in force');
      assert.deepEqual((await switches(p)).at(-1), { type: 'setPrivacyMode', mode: 'any' });
      assert.equal((await switches(p)).length, 3);
    });
  });

  test('modes the workspace keeps from being chosen are unavailable, with the reason on hover and when chosen', async () => {
    await withPanel(async (p) => {
      const reason = 'the privacy mode is "local-only" in orchestra.json and stays in force (edit the file to loosen it)';
      await p.send([{ type: 'status', status: { ...STATUS, privacyRefusals: { any: reason, 'open-weights-only': reason } } }]);
      assert.deepEqual(await modes(p), ['any:false:true:Any', 'open-weights-only:false:true:Open', 'local-only:true:-:Local']);
      const any = p.page.locator('.privacy-option[data-value="any"]');
      assert.equal(await any.getAttribute('title'), `Any model — unavailable: ${reason}`);
      assert.match((await any.getAttribute('aria-label')) ?? '', /Unavailable: the privacy mode is "local-only" in orchestra\.json/);
      assert.equal(await any.evaluate((e) => getComputedStyle(e).cursor), 'not-allowed', 'it looks unavailable under the pointer');
      // A click says why, and posts nothing (force: Playwright will not click what is aria-disabled; a person can).
      await any.click({ force: true });
      const notice = p.page.locator('.composer-notice');
      assert.equal(await notice.innerText(), `Any model is unavailable: ${reason}.`);
      assert.equal(await notice.getAttribute('data-ok'), 'false');
      // The arrows reach an unavailable mode (so its reason can be read) but do not switch to it.
      await p.page.locator('.privacy-option[data-value="local-only"]').focus();
      await p.page.keyboard.press('ArrowLeft');
      assert.equal(await focused(p), 'open-weights-only');
      await p.page.keyboard.press('Enter');
      assert.equal(await notice.innerText(), `Open weights is unavailable: ${reason}.`);
      await p.page.keyboard.press('End');
      await p.page.keyboard.press('Space');
      assert.deepEqual(await switches(p), [], 'nothing is posted');
      // The mode in force is never shown unavailable, whatever the refusals say.
      await p.send([{ type: 'status', status: { ...STATUS, privacyRefusals: { 'local-only': 'x', any: reason } } }]);
      assert.deepEqual(await modes(p), ['any:false:true:Any', 'open-weights-only:false:-:Open', 'local-only:true:-:Local']);
    });
  });

  test('a switch while a task runs: the extension’s answer says it applies from the next question', async () => {
    await withPanel(async (p) => {
      const note =
        'Privacy: Any model (saved in your user settings). It applies from the next question: the running task keeps the privacy mode it started with.';
      await p.send([{ type: 'settingResult', setting: 'privacyMode', ok: true, message: note }]);
      assert.equal(await p.page.locator('.composer-notice').innerText(), note);
      assert.equal(await p.page.locator('.composer-notice').getAttribute('data-ok'), 'true');
      // The next question clears it.
      await p.page.locator('.question-input').fill('Next question');
      await p.page.locator('.question-input').press('Enter');
      assert.equal(await p.page.locator('.composer-notice').isHidden(), true);
    });
  });
});

describe('composer: at 260 px', () => {
  test('the picker, its open menu and the privacy switch stay inside the panel, the switch whole and legible; the long name is shortened with the full name on hover', async () => {
    await withPanel(async (p) => {
      const locked = 'the privacy mode is "local-only" in orchestra.json and stays in force (edit the file to loosen it)';
      await p.send([
        {
          type: 'status',
          status: {
            ...STATUS,
            orchestratorModel: LONG,
            // "Automatic · <the long name>" on the button and first in the menu.
            automaticOrchestrator: { active: true, model: LONG },
            privacyRefusals: { any: locked, 'open-weights-only': locked },
          },
        },
      ]);
      const inside = async (sel: string) => {
        const box = await p.page.locator(sel).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 260.5, `${sel} at ${JSON.stringify(box)}`);
      };
      await inside('.orchestrator-picker');
      await inside('.privacy-switch');
      for (const mode of ['any', 'open-weights-only', 'local-only']) await inside(`.privacy-option[data-value="${mode}"]`);
      // Nothing in the switch is cut or shrunk: each option shows its whole label at the panel's text size.
      const fit = await p.page.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLElement>('.privacy-option')).map((o) => ({
          whole: o.scrollWidth <= o.clientWidth,
          px: parseFloat(getComputedStyle(o.querySelector('.privacy-short')!).fontSize),
          body: parseFloat(getComputedStyle(document.body).fontSize),
        })),
      );
      for (const f of fit) assert.ok(f.whole && f.px >= 12 && f.px >= f.body, JSON.stringify(fit));
      assert.equal(await p.page.locator('.orchestrator-picker .mid-name').getAttribute('title'), LONG);
      assert.equal(await p.page.locator('.orchestrator-picker .picker-auto').isVisible(), true);
      await p.page.locator('.orchestrator-picker').click();
      await inside('#orchestrator-menu');
      for (const item of await p.page.locator('#orchestrator-menu [role="menuitemradio"]').all()) {
        const b = await item.boundingBox();
        assert.ok(b && b.x >= 0 && b.x + b.width <= 260.5, `menu item at ${JSON.stringify(b)}`);
      }
      assert.equal(await p.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), true);
      await p.page.keyboard.press('Escape');
    }, 260);
  });
});
