/**
 * Line markers: comments appended to cell lines must never change the code (strings, templates, block comments)
 * and must map generated-code positions back to cell lines.
 */
import * as assert from 'assert';
import { addLineMarkers, cellLineAt, stripLineMarkers } from '../kernel/lineMarkers';

describe('kernel line markers', () => {
  it('marks ordinary lines and leaves multi-line strings, templates and block comments intact', () => {
    const src = ['const a = 1;', 'const t = `x', '${a}', 'y`;', '/* c', 'd */', "const s = 'q\\", "r';", 'const re = /\\/*x/;'].join('\n');
    const marked = addLineMarkers(src);
    const lines = marked.split('\n');
    assert.strictEqual(lines.length, 9);
    assert.ok(lines[0].endsWith('/*@d2l:1*/'));
    assert.ok(!lines[1].includes('@d2l'), 'inside the template');
    assert.ok(!lines[2].includes('@d2l'), 'inside the template after a substitution');
    assert.ok(lines[3].endsWith('/*@d2l:4*/'));
    assert.ok(!lines[4].includes('@d2l'), 'inside the block comment');
    assert.ok(lines[5].endsWith('/*@d2l:6*/'));
    assert.ok(!lines[6].includes('@d2l'), 'inside a string continued with a backslash');
    assert.ok(lines[8].endsWith('/*@d2l:9*/'));
    assert.strictEqual(stripLineMarkers(marked), src);
    // The marked code means the same: evaluating both gives the same values.
    const run = (code: string) => new Function(`${code}\nreturn [a, t, s, re.source];`)();
    assert.deepStrictEqual(run(marked), run(src));
  });

  it('maps a generated position to the first marker at or after it', () => {
    const js = 'x(); /*@d2l:1*/\nif (a)\n    throw e; /*@d2l:3*/\nexports.v = f(); /*@d2l:4*/';
    assert.strictEqual(cellLineAt(js, 1, 1), 1);
    assert.strictEqual(cellLineAt(js, 2, 1), 3);
    assert.strictEqual(cellLineAt(js, 3, 5), 3);
    assert.strictEqual(cellLineAt(js, 4, 13), 4);
    assert.strictEqual(cellLineAt('a(); /*@d2l:2*/\nb();\nc();', 3, 1), 4, 'counts lines after the last marker');
  });
});
