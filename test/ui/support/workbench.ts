// Driving the VS Code workbench's look in the UI suite as a person would: the colour theme (the
// `workbench.colorTheme` setting) picked from the command palette, and the primary side bar's width
// set by dragging its edge; and where the server keeps its settings files.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';

/** Every settings.json under a VS Code server's user data folder (user, machine, profiles). */
export function settingsFiles(userData: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => {
      const p = join(d, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  return walk(userData).filter((f) => f.endsWith('settings.json'));
}

export const THEMES = {
  // `name` is the setting's value; the theme picker lists it by `label`.
  dark: { name: 'Default Dark Modern', label: 'Dark Modern', workbenchClass: 'vs-dark' },
  light: { name: 'Default Light Modern', label: 'Light Modern', workbenchClass: 'vs' },
  'high-contrast': { name: 'Default High Contrast', label: 'Dark High Contrast', workbenchClass: 'hc-black' },
} as const;
export type ThemeKey = keyof typeof THEMES;

/**
 * Sets `workbench.colorTheme` as a person would: Preferences: Color Theme from the command palette,
 * the theme picked by name (VS Code writes the setting); then waits until the workbench wears it.
 */
export async function setColorTheme(page: Page, theme: ThemeKey, timeoutMs = 30_000): Promise<void> {
  const cls = THEMES[theme].workbenchClass;
  const wearing = () => page.evaluate((c) => document.querySelector('.monaco-workbench')?.classList.contains(c) === true, cls);
  if (await wearing()) return;
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ timeout: timeoutMs });
  await input.fill('>Preferences: Color Theme');
  // Not "Browse Color Themes in Marketplace", which may be listed first.
  const command = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: /^Preferences: Color Theme/ })
    .first();
  await command.waitFor({ timeout: timeoutMs });
  await command.click();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: THEMES[theme].label }).first().waitFor({ timeout: timeoutMs });
  await input.fill(THEMES[theme].label);
  await page.waitForTimeout(500);
  await page.keyboard.press('Enter');
  await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c) === true, cls, {
    timeout: timeoutMs,
  });
}

/** The width the panel's page has inside its webview, in CSS pixels. */
export function panelWidth(frame: Frame): Promise<number> {
  return frame.evaluate(() => document.documentElement.clientWidth);
}

/** Drags the side bar's edge until the panel inside it is `width` px wide (within a pixel or two). */
export async function resizeSideBar(page: Page, frame: Frame, width: number): Promise<number> {
  let now = await panelWidth(frame);
  for (let i = 0; i < 4 && Math.abs(now - width) > 2; i++) {
    const bar = await page.locator('.part.sidebar').boundingBox();
    if (!bar) throw new Error('no side bar on screen');
    const y = bar.y + bar.height / 2;
    const edge = bar.x + bar.width - 1;
    await page.mouse.move(edge, y);
    await page.mouse.down();
    await page.mouse.move(edge + (width - now) / 2, y, { steps: 3 });
    await page.mouse.move(edge + (width - now), y, { steps: 3 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    now = await panelWidth(frame);
  }
  return now;
}
