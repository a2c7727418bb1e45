import { strict as assert } from 'assert';
import * as path from 'path';
import { Engine } from '../kernel/engine';
import { sharedPackages } from '../kernel/modules';
import { formatQuickInfo, formatTag } from '../kernel/quick-info';

const parts = (...texts: string[]) => texts.map((text) => ({ text }));

describe('kernel: quick info (inspect_reply text, Lab tooltips)', () => {
  it('prints every JSDoc tag under its name; an example starts on its own line; empty tags stay', () => {
    assert.equal(formatTag({ name: 'returns', text: parts('the ', 'backend') }), '@returns the backend');
    assert.equal(formatTag({ name: 'param', text: parts('net', ' ', 'the model') }), '@param net the model');
    assert.equal(formatTag({ name: 'example', text: parts('f(1)') }), '@example\nf(1)');
    assert.equal(formatTag({ name: 'deprecated' }), '@deprecated');
    const text = formatQuickInfo({
      displayParts: parts('function ', 'f', '(): void'),
      documentation: parts('Does f.'),
      tags: [{ name: 'returns', text: parts('nothing') }, { name: 'throws', text: parts('never') }],
    });
    assert.equal(text, 'function f(): void\n\nDoes f.\n\n@returns nothing\n@throws never');
    assert.equal(formatQuickInfo({ displayParts: parts('const x: 1') }), 'const x: 1');
  });

  it("shows d2l's signature, JSDoc and @returns/@throws through the kernel's engine", function () {
    this.timeout(60_000);
    const root = path.resolve(__dirname, '..');
    const engine = new Engine(root, sharedPackages(root));
    try {
      const code = "import * as d2l from 'd2l';\nd2l.ensureBackend";
      const text = engine.inspect(code, code.length) ?? '';
      assert.match(text, /^\(alias\) function ensureBackend\(\): Promise<string>/);
      assert.match(text, /Selects and initializes the backend on the first call/);
      assert.match(text, /\n@returns `tf\.getBackend\(\)` after selection\.\n@throws only if `D2L_BACKEND` names/);
    } finally {
      engine.close();
    }
  });
});
