/**
 * The profile tables and the one parameter channel (runner ⇄ notebooks contract): book values, `d2l.settings` in
 * the kernel (`auto`, `D2L_PROFILE`), `d2l run --profile/-p` resolved into the injected cell of the real chapter
 * notebooks (explicit values win), clear errors, and input sizes that the architectures accept.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  PROFILE_NAMES, PROFILE_SECTIONS, bookParameters, profileValues, resolveProfileName, settings,
} from '../src/profiles';
import { generateAll } from '../scripts/notebooks/build';
import { parseNotebook } from '../src/jupyter/nbformat';
import { injectParameters } from '../src/runner/params';
import { layerShapes } from '../src/models/shapes';
import { alexnet } from '../src/models/alexnet';
import { nin } from '../src/models/nin';
import { smallConvArch, vgg } from '../src/models/vgg';
import { googlenet } from '../src/models/googlenet';
import { resnet18 } from '../src/models/resnet';
import { densenet } from '../src/models/densenet';
import { lenetBN } from '../src/models/lenet-bn';

const quiet = { log: () => undefined };

/** The assignments `d2l run` would inject into a committed chapter notebook for these arguments. */
function injected(file: string, asked: Array<[string, unknown]>): Record<string, unknown> {
  const nb = parseNotebook(generateAll().get(file)!, file);
  const out = injectParameters(nb, asked, file);
  const at = out.cells.findIndex((c) => (c.metadata.tags ?? []).includes('injected-parameters'));
  assert.ok((out.cells[at - 1].metadata.tags ?? []).includes('parameters'), 'right after the parameters cell');
  return Object.fromEntries(out.cells[at].source.split('\n').filter((l) => !l.startsWith('//'))
    .map((l) => /^(\w+) = (.*);$/.exec(l)!).map((m) => [m[1], JSON.parse(m[2])]));
}

describe('profiles: the one parameter channel', () => {
  const book71 = { numEpochs: 10, batchSize: 128, lr: 0.01, resize: 224, trainLimit: 0, testLimit: 0 };

  it('has the book values of chapter7.md §1', () => {
    assert.deepEqual(bookParameters('7.1'), book71);
    assert.deepEqual(bookParameters('7.2'), { ...book71, lr: 0.05, init: 'xavier' });
    assert.deepEqual(bookParameters('7.3'), { ...book71, lr: 0.1, init: 'xavier' });
    assert.deepEqual(bookParameters('7.4'), { ...book71, lr: 0.1, resize: 96 });
    assert.deepEqual(bookParameters('7.5'), { numEpochs: 10, batchSize: 256, lr: 1.0, trainLimit: 0, testLimit: 0 });
    assert.deepEqual(bookParameters('7.6'), { ...book71, batchSize: 256, lr: 0.05, resize: 96 });
    assert.deepEqual(bookParameters('7.7'), { ...book71, batchSize: 256, lr: 0.1, resize: 96 });
  });

  it('d2l.settings gives each profile\'s values (book: the book\'s), in the order the notebook declares them', () => {
    for (const section of PROFILE_SECTIONS) {
      assert.deepEqual(settings(section, 'book', quiet), bookParameters(section));
      for (const p of PROFILE_NAMES) {
        const values = settings(section, p, quiet);
        assert.deepEqual(values, profileValues(section, p));
        assert.deepEqual(Object.keys(values), Object.keys(bookParameters(section)));
      }
    }
  });

  it('d2l run resolves --profile into the injected values of a chapter notebook, and -p values win', () => {
    assert.deepEqual(injected('7.1-alexnet.ipynb', [['profile', 'cpu'], ['lr', 0.02], ['numEpochs', 2]]),
      { profile: 'cpu', ...profileValues('7.1', 'cpu'), lr: 0.02, numEpochs: 2 });
    assert.deepEqual(injected('7.1-alexnet.ipynb', [['profile', 'smoke'], ['trainLimit', 999]]).trainLimit, 999);
    for (const section of PROFILE_SECTIONS) {
      const file = [...generateAll().keys()].find((f) => f.startsWith(`${section}-`))!;
      for (const p of PROFILE_NAMES) assert.deepEqual(injected(file, [['profile', p]]), { profile: p, ...profileValues(section, p) });
    }
    // without a profile, only what was asked (the kernel resolves auto)
    assert.deepEqual(injected('7.6-resnet.ipynb', [['numEpochs', 1]]), { numEpochs: 1 });
  });

  it('lets D2L_PROFILE stand in for auto only (for clients such as nbconvert that cannot inject parameters)', () => {
    const saved = process.env.D2L_PROFILE;
    try {
      process.env.D2L_PROFILE = 'smoke';
      const lines: string[] = [];
      assert.deepEqual(settings('7.6', 'auto', { gpu: false, log: (l: string) => lines.push(l) }), profileValues('7.6', 'smoke'));
      assert.match(lines[0], /profile 'smoke' \(auto: from D2L_PROFILE\)/);
      assert.equal(resolveProfileName('book', { gpu: false }), 'book');
      process.env.D2L_PROFILE = 'fast';
      assert.throws(() => resolveProfileName('auto', { gpu: false }), /unknown profile 'fast'/);
    } finally {
      if (saved === undefined) delete process.env.D2L_PROFILE; else process.env.D2L_PROFILE = saved;
    }
  });

  it('resolves auto to book on a GPU backend and cpu otherwise, and says how to change it', () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    assert.deepEqual(settings('7.6', 'auto', { gpu: true, log }), bookParameters('7.6'));
    assert.match(lines[0], /profile 'book' \(auto: a GPU backend/);
    lines.length = 0;
    assert.deepEqual(settings('7.6', 'auto', { gpu: false, log }), profileValues('7.6', 'cpu'));
    assert.match(lines[0], /profile 'cpu' \(auto: no GPU backend.*for ResNet-18: numEpochs=3, batchSize=64/);
    assert.ok(lines.some((l) => l.includes("profile = 'book'") && l.includes('d2l run --profile book')));
    assert.equal(resolveProfileName('auto', { gpu: false }), 'cpu');
    assert.equal(resolveProfileName('smoke'), 'smoke');
  });

  it('rejects unknown profiles, sections and parameters, and non-numeric settings, with the known names', () => {
    assert.throws(() => settings('7.1', 'fast', quiet), /unknown profile 'fast'.*auto, book, cpu, smoke/);
    assert.throws(() => settings('7.9', 'book', quiet), /unknown section '7\.9'.*7\.1/);
    assert.throws(() => injected('7.5-batch-norm.ipynb', [['profile', 'book'], ['resize', 96]]),
      /unknown parameter 'resize'; the parameters cell declares profile, numEpochs, batchSize, lr, trainLimit, testLimit/);
    assert.throws(() => injected('7.1-alexnet.ipynb', [['lr', 'fast']]), /lr must be a finite number for section 7\.1's notebook, got "fast"/);
    assert.throws(() => injected('7.3-nin.ipynb', [['init', 3]]), /init must be a string for section 7\.3's notebook, got 3 \(example: -p init=xavier\)/);
    assert.deepEqual(injected('7.3-nin.ipynb', [['profile', 'book'], ['init', 'kaiming']]),
      { profile: 'book', ...bookParameters('7.3'), init: 'kaiming' });
  });

  it('shrinks every section for cpu and smoke (no more example passes than the book, subsets for smoke)', () => {
    // Example passes: epochs × training images (trainLimit 0 is all 60,000). LeNet-BN's cpu row keeps the book's
    // 10 epochs on all data (it is small); every other cpu row trains on fewer.
    const passes = (v: { numEpochs: number; trainLimit: number }) => v.numEpochs * (v.trainLimit || 60000);
    for (const section of PROFILE_SECTIONS) {
      const book = bookParameters(section);
      const cpu = profileValues(section, 'cpu');
      const smoke = profileValues(section, 'smoke');
      assert.ok(passes(cpu) <= passes(book) && passes(smoke) < passes(cpu), section);
      if (section !== '7.5') assert.ok(passes(cpu) < passes(book), section);
      assert.ok(smoke.numEpochs <= cpu.numEpochs, section);
      assert.ok(smoke.trainLimit > 0 && smoke.trainLimit <= 2048, section);
      if ('resize' in book) assert.ok(smoke.resize <= cpu.resize && cpu.resize <= book.resize, section);
    }
  });
});

describe('profile input sizes fit the architectures', () => {
  // Builders at a profile's resize must give a valid (≥ 1) feature map all the way through.
  const builders: Record<string, (size: number) => tf.Sequential> = {
    '7.1': (n) => alexnet({ inputShape: [n, n, 1] }),
    '7.2': (n) => vgg(smallConvArch, { inputShape: [n, n, 1] }),
    '7.3': (n) => nin({ inputShape: [n, n, 1] }),
    '7.4': (n) => googlenet({ inputShape: [n, n, 1] }),
    '7.6': (n) => resnet18({ inputShape: [n, n, 1] }),
    '7.7': (n) => densenet({ inputShape: [n, n, 1] }),
  };

  for (const [section, build] of Object.entries(builders)) {
    it(`${section}: cpu and smoke sizes give a valid output of 10 logits`, () => {
      for (const p of ['cpu', 'smoke']) {
        const n = profileValues(section, p).resize;
        const net = build(n);
        try {
          const shapes = layerShapes(net, [1, n, n, 1]);
          assert.deepEqual(shapes[shapes.length - 1].shape, [1, 10], `${section} ${p} at ${n}`);
        } finally {
          net.dispose();
        }
      }
    });
  }

  it('7.5 trains LeNet-BN at 28×28 (no resize)', () => {
    const net = lenetBN();
    const shapes = layerShapes(net, [1, 28, 28, 1]);
    assert.deepEqual(shapes[shapes.length - 1].shape, [1, 10]);
    net.dispose();
  });

  it('the smallest sizes are as computed: AlexNet needs 65, NiN 67 (out = ⌊(n + 2p − k)/s⌋ + 1)', () => {
    // AlexNet: k11 s4 p1, then 3×3/2 pools with only size-keeping convs between them
    const out = (n: number, k: number, s: number, p = 0) => Math.floor((n + 2 * p - k) / s) + 1;
    const alexLast = (n: number) => out(out(out(out(n, 11, 4, 1), 3, 2), 3, 2), 3, 2);
    const ninLast = (n: number) => out(out(out(out(n, 11, 4, 0), 3, 2), 3, 2), 3, 2);
    assert.equal(alexLast(65), 1);
    assert.ok(alexLast(64) < 1);
    assert.equal(ninLast(67), 1);
    assert.ok(ninLast(66) < 1);
    assert.ok(profileValues('7.1', 'smoke').resize >= 65 && profileValues('7.3', 'smoke').resize >= 67);
  });
});
