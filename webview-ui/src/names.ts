// Model, tool and file names that may be longer than the room they get: shortened in the middle, so
// both the family (start) and the variant (end: size, quantisation, context) stay readable, with the
// full name on hover. The whole name stays in the text, for screen readers and copying; only the
// ellipsis of the first part (CSS, .mid-name in panel.css) hides the middle when space runs out.
import { h } from './format';

/** Characters kept whole at the end of a name; names up to twice this long are not split. */
const TAIL = 12;

/** Where to split `name`: the last TAIL characters, moved to start after a separator when one is near. */
export function splitName(name: string): [head: string, tail: string] {
  if (name.length <= TAIL * 2) return [name, ''];
  let at = name.length - TAIL;
  const sep = name.slice(at - 4, at + 4).search(/[-_./:]/);
  if (sep >= 0) at = at - 4 + sep + 1;
  return [name.slice(0, at), name.slice(at)];
}

/** Fills `el` with `name`, shortened in the middle when it does not fit. */
export function setName(el: HTMLElement, name: string): void {
  const [head, tail] = splitName(name);
  el.classList.add('mid-name');
  el.classList.toggle('whole', !tail);
  el.title = name;
  el.replaceChildren(h('span', { class: 'mid-head' }, head), ...(tail ? [h('span', { class: 'mid-tail' }, tail)] : []));
}

/** A span holding `name`, shortened in the middle when it does not fit. */
export function nameEl(name: string, cls = ''): HTMLElement {
  const el = h('span', { class: cls });
  setName(el, name);
  return el;
}
