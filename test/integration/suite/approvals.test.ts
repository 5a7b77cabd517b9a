// The approval broker inside the extension host: an approval shown inline while the panel was visible
// gets its modal once the panel is hidden or closed; the first answer wins; no modal twice.
import * as assert from 'node:assert/strict';
import { ApprovalBroker } from '../../../src/extension/approvals';
import type { ApprovalParams } from '../../../src/protocol/engine-rpc';

function approval(id: string): ApprovalParams {
  return { taskId: 't1', callId: `c-${id}`, approvalId: id, kind: 'run_code', title: 'Run python', detail: 'print(1)', language: 'python' };
}

/** A modal that stays open until the test answers it. */
class ScriptedModal {
  readonly shown: string[] = [];
  private readonly answers = new Map<string, (choice: string | undefined) => void>();
  readonly show = (p: ApprovalParams): Promise<string | undefined> => {
    this.shown.push(p.approvalId);
    return new Promise((resolve) => this.answers.set(p.approvalId, resolve));
  };
  answer(id: string, choice: string | undefined): void {
    this.answers.get(id)!(choice);
  }
}

describe('Approvals: inline, then modal when the panel goes away', () => {
  let visible: boolean;
  let modal: ScriptedModal;
  let broker: ApprovalBroker;
  const inline: string[] = [];
  const resolvedElsewhere: Array<[string, boolean]> = [];

  beforeEach(() => {
    visible = true;
    modal = new ScriptedModal();
    inline.length = 0;
    resolvedElsewhere.length = 0;
    broker = new ApprovalBroker(
      {
        panelVisible: () => visible,
        showInPanel: (a) => inline.push(a.approvalId),
        resolvedElsewhere: (id, ok) => resolvedElsewhere.push([id, ok]),
      },
      { info: () => undefined },
      modal.show,
    );
  });
  afterEach(() => broker.dispose());

  it('shows the modal for inline approvals when the panel is hidden; the first answer wins', async () => {
    const decision = broker.request(approval('a1'));
    assert.deepEqual(inline, ['a1']);
    assert.deepEqual(modal.shown, [], 'no modal while the panel shows it');
    visible = false;
    broker.panelHidden();
    assert.deepEqual(modal.shown, ['a1']);
    broker.panelHidden();
    assert.deepEqual(modal.shown, ['a1'], 'never two modals for one approval');
    modal.answer('a1', 'Approve');
    assert.equal(await decision, true);
    assert.deepEqual(resolvedElsewhere, [['a1', true]], 'the panel is told');
  });

  it('an answer in the panel wins over a modal answered later', async () => {
    const decision = broker.request(approval('a2'));
    broker.panelHidden();
    assert.equal(broker.answer('a2', false, 'panel'), true);
    modal.answer('a2', 'Approve');
    assert.equal(await decision, false);
    assert.deepEqual(broker.list(), []);
  });

  it('a request while the panel is hidden gets its modal at once, and only once', async () => {
    visible = false;
    const decision = broker.request(approval('a3'));
    assert.deepEqual(modal.shown, ['a3']);
    broker.panelHidden();
    assert.deepEqual(modal.shown, ['a3']);
    modal.answer('a3', undefined);
    assert.equal(await decision, false, 'closing the dialog denies');
  });

  it('with the modal turned off (tests), hiding the panel shows nothing', () => {
    broker.modalFallback = false;
    void broker.request(approval('a4'));
    broker.panelHidden();
    assert.deepEqual(modal.shown, []);
  });
});
