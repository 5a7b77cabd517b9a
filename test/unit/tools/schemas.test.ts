// Bad input to every workspace tool is caught by its zod schema with an error naming the field;
// plus scrubEnv and isLocalHost, which the tools' safety rests on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkspaceTools, scrubEnv, isSecretEnv, isLocalHost } from '../../../src/core/tools';
import type { Tool } from '../../../src/core/tools/tool';
import { makeConfig } from './helpers';

const tools: Record<string, Tool> = Object.fromEntries(
  createWorkspaceTools({
    config: makeConfig({ tools: { webSearch: { provider: 'searxng', url: 'http://127.0.0.1:1' } } }),
    getSecret: async () => undefined,
    workspace: process.cwd(),
    workspaceTrusted: true,
  }).map((t) => [t.name, t]),
);

/** Each case: the input, and the field path + message fragment the first issue must carry. */
const badInputs: Record<string, Array<[unknown, string, RegExp]>> = {
  run_code: [
    [{ code: 'print(1)' }, 'language', /Invalid option: expected one of "python"\|"javascript"/],
    [{ language: 'ruby', code: 'puts 1' }, 'language', /Invalid option/],
    [{ language: 'python' }, 'code', /expected string, received undefined/],
    [{ language: 'python', code: '' }, 'code', /code must not be empty/],
    [{ language: 'python', code: 42 }, 'code', /expected string, received number/],
  ],
  search_workspace: [
    [{}, 'query', /expected string, received undefined/],
    [{ query: '' }, 'query', /query must not be empty/],
    [{ query: 'x', regex: 'yes' }, 'regex', /expected boolean, received string/],
    [{ query: 'x', include: '*.ts' }, 'include', /expected array, received string/],
    [{ query: 'x', contextLines: 9 }, 'contextLines', /expected number to be <=5/],
    [{ query: 'x', maxResults: 1.5 }, 'maxResults', /expected int, received number/],
  ],
  read_file: [
    [{}, 'path', /expected string, received undefined/],
    [{ path: 7 }, 'path', /expected string, received number/],
    [{ path: 'a', startLine: 0 }, 'startLine', /expected number to be >=1/],
    [{ path: 'a', startLine: 5, endLine: 2 }, 'endLine', /endLine must be at least startLine/],
    [{ path: 'a', maxBytes: 10_000_000 }, 'maxBytes', /expected number to be <=524288/],
  ],
  list_files: [
    [{ path: 3 }, 'path', /expected string, received number/],
    [{ recursive: 'true' }, 'recursive', /expected boolean, received string/],
    [{ depth: 0 }, 'depth', /expected number to be >=1/],
  ],
  web_search: [
    [{}, 'query', /expected string, received undefined/],
    [{ query: '' }, 'query', /query must not be empty/],
    [{ query: 'x', maxResults: '5' }, 'maxResults', /expected number, received string/],
  ],
};

describe('tool schemas reject bad input clearly', () => {
  test('every workspace tool is covered', () => {
    assert.deepEqual(Object.keys(tools).sort(), Object.keys(badInputs).sort());
  });

  for (const [name, cases] of Object.entries(badInputs)) {
    test(name, () => {
      const schema = tools[name].schema;
      for (const [input, field, message] of cases) {
        const r = schema.safeParse(input);
        assert.equal(r.success, false, `${name} accepted ${JSON.stringify(input)}`);
        const issue = r.error.issues[0];
        assert.equal(issue.path.join('.'), field, `${name} ${JSON.stringify(input)}: ${issue.message}`);
        assert.match(issue.message, message, `${name} ${JSON.stringify(input)}`);
      }
      assert.equal(schema.safeParse(null).success, false);
      assert.equal(schema.safeParse('a string').success, false);
    });
  }

  test('every schema converts to JSON Schema for the model APIs', async () => {
    const { z } = await import('zod');
    for (const t of Object.values(tools)) {
      const json = z.toJSONSchema(t.schema, { io: 'input' }) as { type?: string };
      assert.equal(json.type, 'object', t.name);
    }
  });
});

describe('scrubEnv', () => {
  test('drops secrets by name and by value, keeps ordinary variables', () => {
    const env = scrubEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      PWD: '/work',
      LANG: 'C.UTF-8',
      OPENAI_API_KEY: 'x',
      ANTHROPIC_API_KEY: 'x',
      MY_SERVICE_TOKEN: 'x',
      DB_PASSWORD: 'x',
      DB_PWD: 'x',
      CLIENT_SECRET: 'x',
      AWS_REGION: 'eu-west-1',
      AWS_SECRET_ACCESS_KEY: 'x',
      GITHUB_TOKEN: 'x',
      GH_HOST: 'x',
      SSH_AUTH_SOCK: '/tmp/agent',
      SESSION_ID: 'x',
      HTTP_COOKIE: 'x',
      GOOGLE_APPLICATION_CREDENTIALS: '/k.json',
      INNOCENT_A: 'sk-proj-abcdefghijklmnop',
      INNOCENT_B: 'ghp_abcdefghijklmnopqrstuvwx',
      INNOCENT_C: 'tvly-canary-1234',
      INNOCENT_D: 'postgres://user:hunter2@db:5432/app',
      INNOCENT_E: 'AKIAABCDEFGHIJKLMNOP',
      EDITOR: 'vim',
      NODE_ENV: 'test',
    });
    assert.deepEqual(Object.keys(env).sort(), ['EDITOR', 'HOME', 'LANG', 'NODE_ENV', 'PATH', 'PWD']);
  });

  test('isSecretEnv explains single variables', () => {
    assert.equal(isSecretEnv('TERM', 'xterm-256color'), false);
    assert.equal(isSecretEnv('X', 'Bearer abcdefghijklmnop'), true);
  });
});

describe('isLocalHost', () => {
  test('loopback, private and link-local addresses are local; public hosts are not', () => {
    for (const h of [
      'localhost',
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '10.0.0.5',
      '172.16.0.1',
      '192.168.1.20',
      '169.254.1.1',
      'fd00::1',
      'box.local',
    ])
      assert.equal(isLocalHost(h), true, h);
    // Not provably local: carrier-grade NAT, and suffixes any DNS server may point anywhere (same answers as the pool).
    for (const h of [
      'api.tavily.com',
      '8.8.8.8',
      '172.32.0.1',
      '2001:4860::8888',
      'example.com',
      '100.64.0.1',
      'db.internal',
      'nas.lan',
      '0.1.2.3',
    ])
      assert.equal(isLocalHost(h), false, h);
  });
});

describe('scrubEnv with the secrets the engine knows', () => {
  test('configured key names and fetched key values are dropped, whatever they look like', () => {
    const env = {
      VLLM_ACCESS: 'c0ffee5eed0ddba11',
      BUILD_LABEL: 'v1-c0ffee5eed0ddba11',
      vllm_access: 'lower',
      PATH: '/usr/bin',
      SHORT: 'abc',
    };
    assert.equal(isSecretEnv('VLLM_ACCESS', 'c0ffee5eed0ddba11'), false);
    assert.deepEqual(scrubEnv(env), env, 'the patterns alone see nothing');
    assert.deepEqual(
      scrubEnv(env, { names: ['VLLM_ACCESS'], values: ['c0ffee5eed0ddba11', 'abc'] }),
      { PATH: '/usr/bin', SHORT: 'abc' },
      'names match case-insensitively; values inside other variables; too-short values are ignored',
    );
  });
});
