/**
 * `applyProfile` (runner ⇄ notebooks contract) and the profile tables: book values, explicit values kept, `auto`,
 * clear errors, and input sizes that the architectures accept.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  PROFILE_NAMES, PROFILE_SECTIONS, applyProfile, bookParameters, profileValues, resolveProfileName,
} from '../src/profiles';
import { layerShapes } from '../src/models/shapes';
import { alexnet } from '../src/models/alexnet';
import { nin } from '../src/models/nin';
import { smallConvArch, vgg } from '../src/models/vgg';
import { googlenet } from '../src/models/googlenet';
import { resnet18 } from '../src/models/resnet';
import { densenet } from '../src/models/densenet';
import { lenetBN } from '../src/models/lenet-bn';

const quiet = { log: () => undefined };

describe('applyProfile', () => {
  const book71 = { numEpochs: 10, batchSize: 128, lr: 0.01, resize: 224, trainLimit: 0, testLimit: 0 };

  it('has the book values of chapter7.md §1', () => {
    assert.deepEqual(bookParameters('7.1'), book71);
    assert.deepEqual(bookParameters('7.2'), { ...book71, lr: 0.05 });
    assert.deepEqual(bookParameters('7.3'), { ...book71, lr: 0.1 });
    assert.deepEqual(bookParameters('7.4'), { ...book71, lr: 0.1, resize: 96 });
    assert.deepEqual(bookParameters('7.5'), { numEpochs: 10, batchSize: 256, lr: 1.0, trainLimit: 0, testLimit: 0 });
    assert.deepEqual(bookParameters('7.6'), { ...book71, batchSize: 256, lr: 0.05, resize: 96 });
    assert.deepEqual(bookParameters('7.7'), { ...book71, batchSize: 256, lr: 0.1, resize: 96 });
  });

  it('returns the profile values for parameters left at the book values', () => {
    for (const section of PROFILE_SECTIONS) {
      const book = bookParameters(section);
      assert.deepEqual(applyProfile(section, 'book', book, quiet), book);
      for (const p of PROFILE_NAMES) assert.deepEqual(applyProfile(section, p, book, quiet), profileValues(section, p));
    }
  });

  it('keeps values set explicitly (different from the book) whatever the profile', () => {
    const current = { ...book71, lr: 0.05, numEpochs: 2 };
    const out = applyProfile('7.1', 'cpu', current, quiet);
    assert.equal(out.lr, 0.05);
    assert.equal(out.numEpochs, 2);
    assert.equal(out.resize, profileValues('7.1', 'cpu').resize);
    assert.equal(applyProfile('7.1', 'smoke', { ...book71, trainLimit: 999 }, quiet).trainLimit, 999);
  });

  it('lets D2L_PROFILE stand in for auto only (for clients such as nbconvert that cannot inject parameters)', () => {
    const saved = process.env.D2L_PROFILE;
    try {
      process.env.D2L_PROFILE = 'smoke';
      const lines: string[] = [];
      assert.deepEqual(applyProfile('7.6', 'auto', bookParameters('7.6'), { gpu: false, log: (l) => lines.push(l) }),
        profileValues('7.6', 'smoke'));
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
    assert.deepEqual(applyProfile('7.6', 'auto', bookParameters('7.6'), { gpu: true, log }), bookParameters('7.6'));
    assert.match(lines[0], /profile 'book' \(auto: a GPU backend/);
    lines.length = 0;
    assert.deepEqual(applyProfile('7.6', 'auto', bookParameters('7.6'), { gpu: false, log }), profileValues('7.6', 'cpu'));
    assert.match(lines[0], /profile 'cpu' \(auto: no GPU backend/);
    assert.ok(lines.some((l) => l.includes("profile = 'book'") && l.includes('d2l run --profile book')));
    assert.equal(resolveProfileName('auto', { gpu: false }), 'cpu');
    assert.equal(resolveProfileName('smoke'), 'smoke');
  });

  it('rejects unknown profiles, sections and parameters with the known names', () => {
    assert.throws(() => applyProfile('7.1', 'fast', book71, quiet), /unknown profile 'fast'.*auto, book, cpu, smoke/);
    assert.throws(() => applyProfile('7.9', 'book', book71, quiet), /unknown section '7\.9'.*7\.1/);
    assert.throws(() => applyProfile('7.5', 'book', { ...bookParameters('7.5'), resize: 96 }, quiet),
      /unknown parameter\(s\) resize.*numEpochs, batchSize, lr, trainLimit, testLimit/);
    assert.throws(() => applyProfile('7.1', 'book', { ...book71, lr: NaN }, quiet), /lr must be a finite number/);
  });

  it('shrinks every section for cpu and smoke (fewer epochs, subsets where the book uses all data)', () => {
    for (const section of PROFILE_SECTIONS) {
      const book = bookParameters(section);
      const cpu = profileValues(section, 'cpu');
      const smoke = profileValues(section, 'smoke');
      assert.ok(cpu.numEpochs < book.numEpochs && smoke.numEpochs <= cpu.numEpochs, section);
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
