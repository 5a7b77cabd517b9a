// Render time per KB of streamed Markdown, in headless Chromium with the panel's CSS: the panel's
// streaming renderer (markdown-stream.ts) fed 128 characters a frame, against one whole render of the
// same answer in the same page (the least any renderer must do). A typical answer, and markdown-it's
// pathological shapes (test/support/pathological-markdown.ts), where the caps apply.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../test/support/chromium';
import { PATHOLOGICAL } from '../../test/support/pathological-markdown';
import { median, ms, ratio, type Bench, type Row } from './util';

interface Timing {
  totalMs: number;
  worstMs: number;
  slices: number;
}

/** A long, ordinary answer: headings, paragraphs with inline code and links, lists, code, tables. */
function typicalAnswer(targetChars: number): string {
  const parts: string[] = [];
  for (let i = 0; parts.join('\n\n').length < targetChars; i++) {
    switch (i % 6) {
      case 0:
        parts.push(`## Step ${i}: the \`module${i}\` loader`);
        break;
      case 1:
        parts.push(
          `The loader in \`src/m${i}.ts\` reads **every** entry, checks it against the [schema](https://example.com/schema/${i}) and keeps the ones that pass; the rest are reported with their line numbers so *nothing* is dropped silently.`,
        );
        break;
      case 2:
        parts.push(Array.from({ length: 5 }, (_, k) => `- item ${k} of ${i}: \`value${k}\` is **${k * i}**`).join('\n'));
        break;
      case 3:
        parts.push(
          `\`\`\`ts\n${Array.from({ length: 12 }, (_, k) => `export function step${i}_${k}(x: number): number {\n  return x * ${k} + ${i};\n}`).join('\n')}\n\`\`\``,
        );
        break;
      case 4:
        parts.push(
          ['| name | size | note |', '| --- | ---: | --- |', ...Array.from({ length: 8 }, (_, k) => `| f${k} | ${k * 100} | ok |`)].join(
            '\n',
          ),
        );
        break;
      default:
        parts.push(`1. First, run \`npm test\`.\n2. Then read the [log](https://example.com/log/${i}).\n3. Finally, commit.`);
    }
  }
  return parts.join('\n\n');
}

const pathologicalAnswer = (): string =>
  Object.entries(PATHOLOGICAL)
    .map(([name, make]) => `## ${name}\n\n${make(5_000)}`)
    .join('\n\n');

export const markdownRender: Bench = async (ctx) => {
  const bundle = join(ctx.root, 'bench/.out/markdown-page.js');
  const css = readFileSync(join(ctx.root, 'dist/webview/panel.css'), 'utf8');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 480, height: 900 } });
    await page.setContent(`<!doctype html><html><head><style>${css}</style></head><body></body></html>`);
    await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
    const rounds = ctx.quick ? 2 : 5;
    const cases = [
      { name: 'typical', what: 'a typical 100 KB answer', answer: typicalAnswer(100_000), target: 5 },
      { name: 'pathological', what: "markdown-it's pathological shapes, 117 KB (capped)", answer: pathologicalAnswer(), target: undefined },
    ];
    const rows: Row[] = [];
    for (const c of cases) {
      const kb = c.answer.length / 1024;
      const streamed: Timing[] = [];
      const whole: Timing[] = [];
      for (let r = 0; r <= rounds; r++) {
        // Alternated so drift in machine load hits both; the first round warms the JIT and is not kept.
        const order = r % 2 ? ['whole', 'streamed'] : ['streamed', 'whole'];
        for (const kind of order) {
          const t = await page.evaluate(
            ({ kind, answer }) => {
              const b = (window as unknown as { __mdBench: { streamed(a: string, n: number): Promise<Timing>; whole(a: string): Timing } })
                .__mdBench;
              return kind === 'streamed' ? b.streamed(answer, 128) : b.whole(answer);
            },
            { kind, answer: c.answer },
          );
          if (r > 0) (kind === 'streamed' ? streamed : whole).push(t);
        }
      }
      const perKb = median(streamed.map((t) => t.totalMs)) / kb;
      const wholePerKb = median(whole.map((t) => t.totalMs)) / kb;
      const worst = median(streamed.map((t) => t.worstMs));
      ctx.log(`${c.name}: streamed ${perKb.toFixed(3)} ms/KB (worst slice ${worst.toFixed(1)} ms), whole ${wholePerKb.toFixed(3)} ms/KB`);
      rows.push({
        bench: 'markdown',
        what: `Markdown render time per KB streamed, ${c.what}, 128 chars a frame (Chromium, layout included)`,
        baseline: `whole render once ${ms(wholePerKb)}/KB (one slice of ${ms(median(whole.map((t) => t.worstMs)))})`,
        measured: `${ms(perKb)}/KB; longest slice ${ms(worst)}`,
        ratio: ratio(perKb, wholePerKb),
        target: c.target ? `≤ ${c.target}×; no slice over 50 ms` : 'report; no slice over 50 ms',
        met: (c.target === undefined || perKb / wholePerKb <= c.target) && worst <= 50,
        note: `${Math.round(kb)} KB in ${Math.round(c.answer.length / 128)} frames; ${median(streamed.map((t) => t.slices))} timed slices (the calls as text arrives and the frames the renderer takes to finish), medians of ${rounds} alternated rounds. The whole render is one task of that length; streamed, the work is spread so no frame waits on it.`,
        data: { kb, streamed, whole },
      });
    }
    return rows;
  } finally {
    await browser.close();
  }
};
