/**
 * Child process of test/models-save.test.ts: in a fresh Node process, imports d2l (which registers the custom
 * layers and the file:// IO handler), loads each saved model and writes its predictions for the saved input.
 * Usage: node -r ts-node/register/transpile-only load-and-predict.ts DIR NAME...
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../../src';

async function main(): Promise<void> {
  const [dir, ...names] = process.argv.slice(2);
  await tf.setBackend('cpu');
  for (const name of names) {
    const net = await tf.loadLayersModel(`file://${path.join(dir, name, 'model.json')}`);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, `${name}.input.json`), 'utf8')) as { shape: number[] };
    const buf = fs.readFileSync(path.join(dir, `${name}.input.bin`));
    const x = tf.tensor(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), meta.shape);
    const y = net.predict(x) as tf.Tensor;
    fs.writeFileSync(path.join(dir, `${name}.loaded.bin`), Buffer.from((y.dataSync() as Float32Array).slice().buffer));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
