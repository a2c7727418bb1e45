/**
 * Every code cell of every chapter notebook type-checks in tslab's TypeScript engine (the one our kernel runs),
 * cell after cell, against this checkout's `d2l` (src/index.ts). Catches a region that uses a name the notebook
 * never brings into scope, a renamed library function, or a notebook calling an API that does not exist.
 * Slow-ish (one TypeScript program over the library and tfjs types), so it lives in its own file.
 */
import { strict as assert } from 'assert';
import { typecheckNotebooks } from '../scripts/notebooks/typecheck';

describe('chapter notebooks type-check in tslab', function () {
  this.timeout(900_000);

  it('has no diagnostics in any code cell', () => {
    const found = typecheckNotebooks();
    const report = found.map((d) => `${d.notebook} cell ${d.cell} line ${d.line}: ${d.message}`).join('\n');
    assert.equal(found.length, 0, `notebook cells that do not type-check:\n${report}`);
  });
});
