// The composer's orchestrator picker and privacy chip in the built panel, in headless Chromium: what
// they show, the menus they open (by mouse and by keyboard), the models the rules exclude shown
// unavailable with the reason, the message each switch posts to the extension, and the extension's
// answer (saved, or refused with the reason) shown in the composer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { PanelStatus } from '../../src/protocol/panel';
import { launchChromium, openPanel, startPanelServer, type PanelPage, type PanelServer } from './support/panelPage';

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

let browser: Browser;
let server: PanelServer;

before(async () => {
  server = await startPanelServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function withPanel(fn: (p: PanelPage) => Promise<void>, width = 480): Promise<void> {
  const p = await openPanel(browser, server, { width, height: 700 });
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

const switches = async (p: PanelPage) => (await p.posted()).filter((m) => m.type === 'setOrchestrator' || m.type === 'setPrivacyMode');
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
      assert.match((await focused(p)) ?? '', /privacy-chip/);
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

describe('composer: privacy chip', () => {
  test('shows the mode; one click opens the modes, a pick posts the switch; a refusal is shown with its reason', async () => {
    await withPanel(async (p) => {
      const chip = p.page.getByRole('button', { name: /^Privacy: Local only/ });
      assert.equal(await chip.getAttribute('data-mode'), 'local-only');
      assert.match(await chip.innerText(), /Local only/);
      await chip.click();
      const menu = p.page.getByRole('menu', { name: 'Privacy mode' });
      const modes = await menu
        .getByRole('menuitemradio')
        .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-value')}:${e.getAttribute('aria-checked')}`));
      assert.deepEqual(modes, ['any:false', 'open-weights-only:false', 'local-only:true']);
      await menu.getByRole('menuitemradio', { name: /Any model/ }).click();
      assert.deepEqual(await switches(p), [{ type: 'setPrivacyMode', mode: 'any' }]);
      // The extension refuses (orchestra.json keeps local-only): the composer says why, as an error.
      const reason =
        'Privacy stays as it is: the privacy mode is "local-only" in orchestra.json and stays in force (edit the file to loosen it).';
      await p.send([{ type: 'settingResult', setting: 'privacyMode', ok: false, message: reason }]);
      const notice = p.page.locator('.composer-notice');
      assert.equal(await notice.innerText(), reason);
      assert.equal(await notice.getAttribute('data-ok'), 'false');
      assert.equal(await chip.getAttribute('data-mode'), 'local-only', 'the chip still shows the mode in force');
      // Keyboard: Enter opens it on the current mode, ArrowUp moves, Enter picks.
      await chip.focus();
      await p.page.keyboard.press('Enter');
      assert.equal(await focused(p), 'local-only');
      await p.page.keyboard.press('ArrowUp');
      await p.page.keyboard.press('Enter');
      assert.deepEqual((await switches(p)).at(-1), { type: 'setPrivacyMode', mode: 'open-weights-only' });
      // Picking the mode in force posts nothing.
      await chip.click();
      await menu.getByRole('menuitemradio', { name: /Local only/ }).click();
      assert.equal((await switches(p)).length, 2);
    });
  });

  test('modes the workspace keeps from being chosen are unavailable, with the reason', async () => {
    await withPanel(async (p) => {
      const reason = 'the privacy mode is "local-only" in orchestra.json and stays in force (edit the file to loosen it)';
      await p.send([{ type: 'status', status: { ...STATUS, privacyRefusals: { any: reason, 'open-weights-only': reason } } }]);
      await p.page.locator('.privacy-chip').click();
      const items = p.page.getByRole('menu', { name: 'Privacy mode' }).getByRole('menuitemradio');
      const state = await items.evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-value')}:${e.getAttribute('aria-disabled') ?? '-'}`),
      );
      assert.deepEqual(state, ['any:true', 'open-weights-only:true', 'local-only:-']);
      assert.match(await items.nth(0).innerText(), /"local-only" in orchestra\.json/);
      assert.match((await items.nth(0).getAttribute('title')) ?? '', /stays in force/);
      await items.nth(0).click({ force: true });
      await p.page.keyboard.press('Home');
      await p.page.keyboard.press('Enter');
      assert.deepEqual(await switches(p), [], 'nothing is posted');
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
  test('the picker, the chip and their open menus stay inside the panel; the long name is shortened with the full name on hover', async () => {
    await withPanel(async (p) => {
      const locked = 'the privacy mode is "local-only" in orchestra.json and stays in force (edit the file to loosen it)';
      await p.send([
        { type: 'status', status: { ...STATUS, orchestratorModel: LONG, privacyRefusals: { any: locked, 'open-weights-only': locked } } },
      ]);
      const inside = async (sel: string) => {
        const box = await p.page.locator(sel).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 260.5, `${sel} at ${JSON.stringify(box)}`);
      };
      await inside('.orchestrator-picker');
      await inside('.privacy-chip');
      assert.equal(await p.page.locator('.orchestrator-picker .mid-name').getAttribute('title'), LONG);
      for (const [button, menu] of [
        ['.orchestrator-picker', '#orchestrator-menu'],
        ['.privacy-chip', '#privacy-menu'],
      ]) {
        await p.page.locator(button).click();
        await inside(menu);
        for (const item of await p.page.locator(`${menu} [role="menuitemradio"]`).all()) {
          const b = await item.boundingBox();
          assert.ok(b && b.x >= 0 && b.x + b.width <= 260.5, `${menu} item at ${JSON.stringify(b)}`);
        }
        assert.equal(await p.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), true);
        await p.page.keyboard.press('Escape');
      }
    }, 260);
  });
});
