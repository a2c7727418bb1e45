/**
 * Acceptance run (not part of `npm test`): LeNet-BN, scratch and concise, at the book's settings (batch 256,
 * lr 1.0, 10 epochs, full Fashion-MNIST) on the default backend. The book reaches train accuracy 0.899 / 0.902.
 * Usage: node -r ts-node/register/transpile-only test/torch/train-lenet-bn.ts [scratch|concise] [epochs]
 */
import '../../src';
import { ensureBackend } from '../../src/backend';
import { loadDataFashionMnist } from '../../src/data';
import { lenetBN, lenetBNConcise } from '../../src/models';
import { trainCh6 } from '../../src/train';

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'scratch';
  const numEpochs = Number(process.argv[3] ?? 10);
  console.log('backend', await ensureBackend());
  const [trainIter, testIter] = await loadDataFashionMnist(256);
  const net = which === 'concise' ? lenetBNConcise() : lenetBN();
  const result = await trainCh6(net, trainIter, testIter, numEpochs, 1.0);
  console.log(JSON.stringify({ which, numEpochs, trainLoss: result.trainLoss, trainAcc: result.trainAcc,
                               testAcc: result.testAcc, examplesPerSec: result.examplesPerSec }));
}

main().catch((e) => { console.error(e); process.exit(1); });
