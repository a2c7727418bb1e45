/**
 * file:// model files without tfjs-node: save/load roundtrip, atomic layout, clear errors, and stepping aside
 * when another file:// router (tfjs-node's) is registered.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend, registerFileRouter } from '../src/backend';

function smallModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3 }));
  return m;
}

describe('backend: file:// model files', function () {
  this.timeout(60000);
  let dir = '';
  before(async () => {
    await ensureBackend();
    registerFileRouter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-io-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('saves model.json + weights.bin and loads the same model back', async () => {
    const model = smallModel();
    const x = tf.randomNormal([2, 6, 6, 1]);
    const target = path.join(dir, 'net');
    const result = await model.save(`file://${target}`);
    assert.deepEqual(fs.readdirSync(target).sort(), ['model.json', 'weights.bin']); // no temp files left
    const expectedBytes = model.getWeights().reduce((n, w) => n + w.size * 4, 0);
    assert.equal(fs.statSync(path.join(target, 'weights.bin')).size, expectedBytes);
    assert.equal(result.modelArtifactsInfo.weightDataBytes, expectedBytes);

    const loaded = await tf.loadLayersModel(`file://${target}/model.json`);
    assert.deepEqual(loaded.getWeights().map((w) => w.shape), model.getWeights().map((w) => w.shape));
    model.getWeights().forEach((w, i) => assert.deepEqual(loaded.getWeights()[i].dataSync(), w.dataSync()));
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    assert.deepEqual(b.dataSync(), a.dataSync());
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('overwrites an existing save', async () => {
    const target = path.join(dir, 'again');
    const first = smallModel();
    await first.save(`file://${target}`);
    const second = smallModel();
    await second.save(`file://${target}`);
    const loaded = await tf.loadLayersModel(`file://${target}/model.json`);
    assert.deepEqual(loaded.getWeights()[0].dataSync(), second.getWeights()[0].dataSync());
    [first, second, loaded].forEach((m) => m.dispose());
  });

  it('names the missing file when loading fails', async () => {
    const missing = path.join(dir, 'nothing', 'model.json');
    await assert.rejects(tf.loadLayersModel(`file://${missing}`), (err: Error) => {
      assert.ok(err.message.includes(missing), err.message);
      return true;
    });
  });

  it('steps aside when another router (like tfjs-node\'s) handles file://', async () => {
    assert.equal(tf.io.getSaveHandlers('file:///tmp/x').length, 1);
    let active = true; // the registry has no unregister: the fake router switches itself off after this test
    const fake = { save: async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }) };
    const router = ((url: string) => (active && typeof url === 'string' && url.startsWith('file://') ? fake : null)) as unknown as Parameters<typeof tf.io.registerSaveRouter>[0];
    tf.io.registerSaveRouter(router);
    try {
      const handlers = tf.io.getSaveHandlers('file:///tmp/x');
      assert.equal(handlers.length, 1);
      assert.equal(handlers[0], fake);
    } finally {
      active = false;
    }
    assert.equal(tf.io.getSaveHandlers('file:///tmp/x').length, 1);
  });
});
