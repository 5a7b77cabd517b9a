import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dollarsFor, estimateMessagesTokens, estimateTokens, isLocalHost } from '../../../src/core/pool';

describe('isLocalHost', () => {
  const table: Array<[string, boolean]> = [
    ['localhost', true],
    ['LOCALHOST', true],
    ['api.localhost', true],
    ['gpu-box.local', true],
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['0.0.0.0', true],
    ['10.0.0.5', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.15.0.1', false],
    ['172.32.0.1', false],
    ['192.168.1.20', true],
    ['192.169.1.20', false],
    ['169.254.10.1', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['[::1]', true],
    ['fd12:3456::1', true],
    ['fc00::1', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['febf::1', true],
    ['fec0::1', false],
    ['::ffff:192.168.0.1', true],
    ['::ffff:8.8.8.8', false],
    ['2001:4860:4860::8888', false],
    ['api.openai.com', false],
    ['localhost.example.com', false],
    ['local', false],
    ['10.example.com', false],
    // Not provably on this machine or a private network: carrier-grade NAT and made-up suffixes.
    ['100.64.0.1', false],
    ['100.127.255.254', false],
    ['db.internal', false],
    ['nas.lan', false],
    ['0.1.2.3', false],
  ];
  for (const [host, local] of table) {
    test(`${host} is ${local ? 'local' : 'remote'}`, () => assert.equal(isLocalHost(host), local));
  }
});

describe('estimates and prices', () => {
  test('estimateTokens is about chars/4 and never 0 for non-empty text', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('a'), 1);
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens('x'.repeat(4000)), 1000);
  });

  test('estimateMessagesTokens counts content parts, tool calls and tool definitions', () => {
    const base = estimateMessagesTokens([{ role: 'user', content: 'x'.repeat(40) }]);
    assert.equal(base, 4 + 10);
    const parts = estimateMessagesTokens([{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(40) }] }]);
    assert.equal(parts, base);
    const withCall = estimateMessagesTokens([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ]);
    assert.ok(withCall > 4);
    const withTools = estimateMessagesTokens(
      [{ role: 'user', content: 'x'.repeat(40) }],
      [{ type: 'function', function: { name: 'f', parameters: {} } }],
    );
    assert.ok(withTools > base);
  });

  test('dollarsFor prices input and output per million tokens', () => {
    assert.equal(
      dollarsFor({ inputPricePerMillion: 1.25, outputPricePerMillion: 10 }, { inputTokens: 1_000_000, outputTokens: 100_000 }),
      2.25,
    );
    assert.equal(dollarsFor({ inputPricePerMillion: 0, outputPricePerMillion: 0 }, { inputTokens: 5000, outputTokens: 5000 }), 0);
  });
});
