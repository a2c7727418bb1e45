/** `d2l notebooks [DIR]` copies the chapter notebooks and never overwrites a student's copy. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { copyNotebooks } from '../src/cli/notebooks';

describe('d2l notebooks', () => {
  it('copies the seven chapter notebooks and keeps files already there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-notebooks-'));
    try {
      fs.writeFileSync(path.join(dir, '7.6-resnet.ipynb'), 'my own work');
      const { copied, kept } = copyNotebooks(dir);
      assert.deepEqual(kept, ['7.6-resnet.ipynb']);
      assert.equal(copied.length, 6);
      assert.equal(fs.readFileSync(path.join(dir, '7.6-resnet.ipynb'), 'utf8'), 'my own work');
      for (const name of copied) assert.ok(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')).cells.length > 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
