// Markdown that makes parsers slow: the shapes of markdown-it's own pathological tests (its
// test/pathological.* file, itself ported from cmark's), generated at whatever size a test asks for,
// so nothing is downloaded. Used by the unit tests (caps) and the webview tests (long tasks).

/** Each shape at about `n` characters. */
export const PATHOLOGICAL: Record<string, (n: number) => string> = {
  'nested inlines': (n) => '*'.repeat(n / 2) + 'a' + '*'.repeat(n / 2),
  'nested strong emph': (n) => '*a **a '.repeat(n / 14) + 'b' + ' a** a*'.repeat(n / 14),
  'emph closers without openers': (n) => 'a_ '.repeat(n / 3),
  'emph openers without closers': (n) => '_a '.repeat(n / 3),
  'link closers without openers': (n) => 'a]'.repeat(n / 2),
  'link openers without closers': (n) => '[a'.repeat(n / 2),
  'mismatched openers and closers': (n) => '*a_ '.repeat(n / 4),
  'openers and closers multiple of 3': (n) => 'a**b' + 'c* '.repeat(n / 3),
  'link openers and emph closers': (n) => '[ a_'.repeat(n / 4),
  '[ (]( repeated': (n) => '[ (]('.repeat(n / 5),
  '![[]() repeated': (n) => '![[]()'.repeat(n / 6),
  'nested brackets': (n) => '['.repeat(n / 2) + 'a' + ']'.repeat(n / 2),
  'nested block quotes': (n) => '> '.repeat(n / 2) + 'a',
  'deeply nested lists': (n) => {
    const out: string[] = [];
    for (let x = 0, len = 0; len < n; x++) len += (out[x] = `${'  '.repeat(x)}* a\n`).length;
    return out.join('');
  },
  backticks: (n) => {
    const out: string[] = [];
    for (let x = 1, len = 0; len < n; x++) len += (out[x] = 'e' + '`'.repeat(x)).length;
    return out.join('');
  },
  'unclosed links': (n) => '[a](<b'.repeat(n / 6),
  'empty lines in nested lists': (n) => '- '.repeat(n / 4) + 'x' + '\n'.repeat(n / 4),
  'empty lines in nested lists in a quote': (n) => '> ' + '- '.repeat(n / 4) + 'x\n' + '>\n'.repeat(n / 4),
  'emphasis in a deep quote': (n) => '>'.repeat(n / 3) + 'a*'.repeat(n / 3),
  'emphasis **_* pattern': (n) => '**_* '.repeat(n / 5),
  'backtick ``\\ pattern': (n) => '``\\'.repeat(n / 3),
  'autolinks <<<>': (n) => '<'.repeat(n) + '>',
  'linkify trailing asterisks': (n) => 'https://test.com?' + '*'.repeat(n) + 'a',
};
