/**
 * Interrupt and live-output benchmark (prints numbers; not a test): for each kind of running cell, how long the
 * kernel takes to answer an interrupt_request with the cell's reply; and during a 20 s `trainCh6`, when the
 * first output arrives and how outputs spread over the run. Cases that get no reply within 60 s print "none".
 * Run: node -r ts-node/register/transpile-only bench/kernel-interrupt.ts [kernel argv...]
 *   (default: this checkout's kernel, dist/ when up to date; pass e.g. `node /other/checkout/dist/kernel/main.js`
 *   to measure another build side by side).
 */
import { TestKernel } from '../test/kernel/harness';

const CASES: Array<[string, string]> = [
  ['synchronous loop', 'while (true) {}'],
  ['await Promise.resolve() loop', 'for (;;) await Promise.resolve();'],
  ['promise that never settles', 'await new Promise(() => {});'],
  ["student's tidy + await data loop", 'for (;;) { const l = tf.tidy(() => opt.minimize(() => tf.matMul(w, w).square().mean() as tf.Scalar, true)!); await l.data(); l.dispose(); }'],
  ['sync loop of 1024x1024 matMul', 'for (;;) tf.matMul(big, big).dispose();'],
  ['await net.fit', 'await model.fit(fx, fy, { epochs: 100000, batchSize: 32, verbose: 0 });'],
  ['await d2l.trainCh6', 'await d2l.trainCh6(net, trainIter, testIter, 1000, 0.9, d2l.tryGpu());'],
];

const SETUP = [
  "import * as tf from '@tensorflow/tfjs';",
  "import * as d2l from 'd2l';",
  'await d2l.ensureBackend();',
  'const w = tf.variable(tf.randomNormal([64, 64])); const opt = tf.train.sgd(0.01);',
  'const big = tf.randomNormal([1024, 1024]);',
  'const model = tf.sequential({ layers: [tf.layers.dense({ units: 32, inputShape: [64], activation: "relu" }), tf.layers.dense({ units: 1 })] });',
  "model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });",
  'const fx = tf.randomNormal([2048, 64]); const fy = tf.randomNormal([2048, 1]);',
  'const [trainIter, testIter] = await d2l.loadDataFashionMnist(256, undefined, { trainLimit: 6144, testLimit: 512, seed: 1 });',
  'const net = d2l.lenetBN();',
].join('\n');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let k = await TestKernel.start(argv.length ? { argv } : {});
  const setup = await k.run(SETUP);
  if (setup.reply.content.status !== 'ok') throw new Error(`setup failed: ${JSON.stringify(setup.outputs.map((m) => m.content))}`);
  for (const [name, code] of CASES) {
    const id = k.execute(code);
    const input = await k.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'execute_input', 60_000);
    const start = Date.now();
    const runFor = name.includes('trainCh6') ? 20_000 : 1000;
    const arrivals: number[] = [];
    let seen = k.messages.indexOf(input) + 1;
    while (Date.now() - start < runFor) {
      await new Promise((r) => setTimeout(r, 50));
      for (; seen < k.messages.length; seen++) {
        const m = k.messages[seen];
        if (m.parent_header.msg_id === id && ['stream', 'display_data', 'update_display_data'].includes(m.header.msg_type)) arrivals.push(Date.now() - start);
      }
    }
    const sent = Date.now();
    k.send('interrupt_request', {}, { channel: 'control' });
    const reply = await k.reply(id, 60_000).catch(() => undefined);
    const latency = reply ? `${Date.now() - sent} ms (${reply.content.ename ?? reply.content.status})` : 'none within 60 s';
    const live = runFor > 1000 ? `; first output after ${arrivals.length ? `${arrivals[0]} ms` : 'none'}, `
      + `${arrivals.length} outputs in ${runFor / 1000} s (${arrivals.filter((t) => t < runFor / 2).length} in the first half)` : '';
    console.log(`${name.padEnd(34)} interrupt -> reply: ${latency}${live}`);
    if (!reply) {
      await k.stop(); // a kernel that ignored the interrupt is busy for good: start a fresh one
      k = await TestKernel.start(argv.length ? { argv } : {});
      await k.run(SETUP);
    }
  }
  await k.stop();
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
