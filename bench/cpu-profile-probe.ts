/**
 * Evidence for the `cpu` profile rows (src/profiles.ts): trains one chapter model with given settings on this
 * machine's default backend and prints test accuracy after every epoch (on `--test` held-out images), seconds
 * and examples/s. Prints numbers; not a test.
 * Run: npx ts-node -T bench/cpu-profile-probe.ts <model> [--resize N] [--batch B] [--lr L] [--epochs E]
 *        [--train N] [--test N] [--seed S] [--init xavier|kaiming]
 * models: alexnet vgg nin googlenet lenet-bn lenet-bn-concise resnet18 densenet
 */
import * as d2l from '../src';

const BUILDERS: Record<string, (size: number) => import('@tensorflow/tfjs').LayersModel> = {
  alexnet: (n) => d2l.alexnet({ inputShape: [n, n, 1] }),
  vgg: (n) => d2l.vgg(d2l.smallConvArch, { inputShape: [n, n, 1] }),
  nin: (n) => d2l.nin({ inputShape: [n, n, 1] }),
  googlenet: (n) => d2l.googlenet({ inputShape: [n, n, 1] }),
  'lenet-bn': () => d2l.lenetBN(),
  'lenet-bn-concise': () => d2l.lenetBNConcise(),
  resnet18: (n) => d2l.resnet18({ inputShape: [n, n, 1] }),
  densenet: (n) => d2l.densenet({ inputShape: [n, n, 1] }),
};

function text(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

function option(args: string[], name: string, fallback: number): number {
  return Number(text(args, name, String(fallback)));
}

async function main(): Promise<void> {
  const [model, ...args] = process.argv.slice(2);
  const build = BUILDERS[model];
  if (!build) throw new Error(`usage: cpu-profile-probe <${Object.keys(BUILDERS).join('|')}> [--resize N] …`);
  const resize = option(args, 'resize', 28);
  const batch = option(args, 'batch', 128);
  const lr = option(args, 'lr', 0.1);
  const epochs = option(args, 'epochs', 1);
  const train = option(args, 'train', 60000);
  const test = option(args, 'test', 2000);
  const seed = option(args, 'seed', 1);
  const init = text(args, 'init', 'xavier') as d2l.InitScheme;
  await d2l.ensureBackend();
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batch, resize === 28 ? undefined : resize,
    { trainLimit: train, testLimit: test, seed });
  const net = build(resize);
  const t0 = Date.now();
  const r = await d2l.trainCh6(net, trainIter, testIter, epochs, lr, d2l.tryGpu(), { seed, verbose: false, init });
  const wall = (Date.now() - t0) / 1000;
  for (const e of r.history) {
    console.log(`${model} ${resize}px b${batch} lr${lr} n${train} ${init}: epoch ${e.epoch} train acc ${e.trainAcc.toFixed(3)} test acc ${e.testAcc.toFixed(3)} ` +
      `(${e.seconds.toFixed(0)} s of steps, ${(e.examples / e.seconds).toFixed(0)} ex/s)`);
  }
  console.log(JSON.stringify({ model, init, resize, batch, lr, epochs, train, test, seed, backend: d2l.backendInfo().selected,
    testAcc: r.testAcc, trainAcc: r.trainAcc, examplesPerSec: r.examplesPerSec, wallSeconds: wall,
    curve: r.history.map((e) => e.testAcc) }));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
