// A small inline SVG bar chart: cost per model for one task. Built from DOM nodes (no markup strings),
// coloured by theme variables through CSS classes; one row per model so labels and bars line up.
import { formatDollars, h, svg } from './format';

export interface CostBar {
  label: string;
  dollars: number;
}

export function costChart(bars: CostBar[]): HTMLElement | undefined {
  const shown = bars.filter((b) => b.dollars > 0).sort((a, b) => b.dollars - a.dollars);
  if (shown.length === 0) return undefined;
  const max = Math.max(...shown.map((b) => b.dollars));
  const rows = h('ul', { class: 'cost-chart-rows' });
  shown.forEach((b, i) => {
    const bar = svg(
      'svg',
      { class: 'cost-chart-bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
      svg('rect', {
        class: `cost-bar cost-bar-${i % 6}`,
        x: 0,
        y: 0,
        width: Math.max(1, (b.dollars / max) * 100).toFixed(2),
        height: 10,
        rx: 1,
      }),
    );
    rows.append(
      h(
        'li',
        { 'data-model': b.label, 'data-dollars': String(b.dollars) },
        h('span', { class: 'cost-label', title: b.label }, b.label),
        bar,
        h('span', { class: 'cost-value' }, formatDollars(b.dollars)),
      ),
    );
  });
  return h('figure', { class: 'cost-chart', 'aria-label': 'Cost per model' }, h('figcaption', {}, 'Cost per model'), rows);
}
