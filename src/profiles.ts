/**
 * Run profiles of the chapter notebooks: one table per section, the one place that knows each profile's values.
 *
 * - `book`: the book's settings (chapter 7, PyTorch tab) — meant for a GPU;
 * - `cpu`: a run that visibly learns in about ten minutes per notebook on a 2-core CPU (fewer epochs, a training
 *   subset, a smaller input where the architecture allows it). Its rows depend on the compute at hand: d2l's
 *   native oneDNN backend, or — where oneDNN is missing — the several times slower wasm backend (`cpuCompute()`);
 * - `smoke`: a couple of minutes per notebook in CI — tiny subsets and one epoch, checking only that it runs;
 * - `auto`: `book` on a GPU backend, `cpu` otherwise.
 *
 * One channel, papermill's: a notebook's cell tagged `parameters` reads
 *   let profile = 'auto';
 *   let { numEpochs, batchSize, lr, … } = d2l.settings('7.6', profile);
 * so that opened in Jupyter it resolves `auto` in one readable call. `d2l run --profile P` resolves P here (no
 * TensorFlow.js needed: this module loads the backend only to decide `auto` in a kernel) and injects the concrete
 * values after that cell; `-p name=value` overrides them there too. `D2L_PROFILE` stands in for `auto` for clients
 * that cannot inject parameters (`jupyter nbconvert --execute`, a JupyterLab started for a lab session).
 */
import type { Device } from './backend';
import type { InitScheme } from './train/init';
import { setting } from './settings';

/** The sections that have a notebook. */
export type SectionId = '7.1' | '7.2' | '7.3' | '7.4' | '7.5' | '7.6' | '7.7';

/**
 * A notebook's tunable values, as its parameters cell destructures them. Every section has the numbers; `resize`
 * is absent for 7.5 (LeNet-BN trains at 28×28) and `init` is 7.2's and 7.3's alone — a notebook destructures only
 * the names its section's book row has (the cell is generated from it), so it never sees an absent one.
 */
export type ParameterValues = {
  numEpochs: number;
  batchSize: number;
  lr: number;
  /** Training / test images used; 0 = the whole set. */
  trainLimit: number;
  testLimit: number;
  /** Side of the (square) input the images are resized to. */
  resize: number;
  /** How trainCh6 initializes the kernels (7.2's and 7.3's `cpu` rows depart from the book's Xavier; see below). */
  init: InitScheme;
};

/** One row of a table: the values it sets. */
type Row = Partial<ParameterValues>;

/** The profiles a table defines; `auto` picks one of them. */
export type ProfileName = 'book' | 'cpu' | 'smoke';
export const PROFILE_NAMES: readonly ProfileName[] = ['book', 'cpu', 'smoke'];

/** Every name `profile` may take: the profiles plus `auto` (what `d2l run --profile` accepts). */
export const PROFILE_CHOICES: readonly string[] = ['auto', ...PROFILE_NAMES];

/** Throws the one clear error for a profile name that is not one of PROFILE_CHOICES. */
export function checkProfileName(profile: string): void {
  if (!PROFILE_CHOICES.includes(profile)) {
    throw new Error(`unknown profile '${profile}'; choose one of ${PROFILE_CHOICES.join(', ')} ` +
      '(book: the book\'s settings, cpu: learns visibly in minutes on a CPU, smoke: a quick CI check, auto: book on a GPU, else cpu).');
  }
}

interface SectionTable {
  /** The section's model, for messages. */
  model: string;
  /** The book's values; also the set of parameter names the notebook declares. */
  book: Row;
  /** Only the values that differ from the book: `cpu` on the native backend, `cpuWasm` where only wasm runs. */
  cpu: Row;
  cpuWasm: Row;
  smoke: Row;
}

/** Which `cpu` rows apply: the native backend's or the wasm backend's. */
export type CpuCompute = 'native' | 'wasm';

/**
 * The compute the `cpu` rows are for, decided without loading TensorFlow.js when it is not loaded yet (`d2l run`
 * resolves profiles in its own process): `D2L_BACKEND` if set; else the backend tfjs runs on if it is loaded (in a
 * notebook); else whether d2l's native addon was built here.
 */
export function cpuCompute(): CpuCompute {
  const slow = (name: string) => name === 'wasm' || name === 'cpu';
  const forced = setting('D2L_BACKEND');
  if (forced) return slow(forced) ? 'wasm' : 'native';
  const running = (globalThis as { _tfengine?: { backendName?: string } })._tfengine?.backendName;
  if (running) return slow(running) ? 'wasm' : 'native';
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { nativeAddonBuilt } = require('./backend/native/built') as { nativeAddonBuilt(): boolean };
  return nativeAddonBuilt() ? 'native' : 'wasm';
}

/*
 * How the cpu and smoke rows were chosen (sizes follow out = floor((n + 2p − k)/s) + 1):
 * - Input sizes. AlexNet (k11 s4 p1, then three 3×3/2 max pools) needs n ≥ 65 for a 1×1 last feature map, NiN
 *   (k11 s4 p0) n ≥ 67; both use 67, where a training example costs ~0.2 GMAC instead of ~2.8 at 224. VGG halves five
 *   times (n ≥ 32) and uses 64; ResNet-18 and DenseNet use 64 (last stage 2×2); GoogLeNet — the costliest per
 *   pixel, many small convs — 32 (it halves five times too). smoke uses 32 where the net allows.
 * - Native rows (`cpu`): goal ≥ 0.75 test accuracy (LeNet-BN ≥ 0.85) on 2,000 test images in ≤ 10 minutes per
 *   notebook on 2 cores. Settings from `bench/cpu-profile-probe.ts` curves (seed 1, test accuracy after each
 *   epoch on 2,000 images, 2 cores Zen 5, oneDNN):
 *   AlexNet@67 b64 on 18,000 images: lr 0.05 → .456 .679 .756 .764 .760, lr 0.1 → .487 .760 .772 .744; the book's
 *   lr 0.01 had not left the ln 10 plateau after 100 steps (PyTorch, batch 128), so lr 0.1.
 *   NiN@67 is the slowest to start (ReLU before the global average pool, exercise 4), and how long it stays on
 *   the plateau depends on the init: b64 lr 0.1 on 20,000 images → .097 .223 .485 .624 .707; lr 0.2 no better
 *   (.097 .296 .520 .623 .697); b32 slower (.100 .148 .285 .650).
 *   GoogLeNet@32 b32 lr 0.1 on 16,000 images → .212 .553 .698 .763. ResNet-18@64 b64 lr 0.05 on 10,000 images:
 *   .814 after 2 epochs; DenseNet@64 b64 lr 0.1 on 10,000: .737 after 3 (so 15,000 images).
 *   LeNet-BN at the book's lr 1.0 (batch 256) swings between .735 and .869 from epoch to epoch, so a short run may
 *   end low; lr 0.3 with batch 128 settles (.885 after 8 epochs, ≥ .86 from the 6th).
 * - `d2l run notebooks --profile cpu` with these rows (same machine; minutes include kernel start, data and
 *   evaluation; examples/s of the training steps; * = another job shared the 2 cores for part of the run):
 *   7.1 AlexNet (24,000 images then) .831, 108.6/s, 11.6 min* → trainLimit 19,000 to fit ten minutes;
 *   7.2 VGG (12,500 then) .842, 56/s, 15.6 min* → 10,000; 7.3 NiN .798, 151/s, 11.8 min*; 7.4 GoogLeNet .750,
 *   81/s, 12.0 min (over budget: the notebook runs its many small ops ~30% slower than the probe, 114/s);
 *   7.5 LeNet-BN .876 / concise .874, 2,246/s / 8,891/s, 4.9 min; 7.6 ResNet-18 .784, 48.5/s, 10.9 min* (a wasm run shared
 *   the cores for 7 of them) → 9,000; 7.7 DenseNet (15,000 then) .804, 72/s, 10.9 min → 12,000. The notebooks
 *   trained 25–30% below the probe's rates then: V8's full heap marking, set off by each step's fresh
 *   ArrayBuffers, costs more in a kernel whose heap holds the TypeScript compiler (fixed by the sgd-in-place patch
 *   and pooling buffers from 4 KiB: GoogLeNet@32's notebook rate went 67–80 → 145–155/s, the probe's rate).
 * - Sized for AVX2 (2 cores Zen 3, the slower ISA; AVX-512 machines finish early). Probe rates there, first epoch
 *   of 2,048 images after those fixes (the machine's noise is ±20%): AlexNet@67 116–174/s, VGG@64 114, NiN@67
 *   163, GoogLeNet@32 143, ResNet-18@64 45, DenseNet@64 67. At those rates the Zen 5 rows overran ten minutes for
 *   NiN (20,000 → 15,000), ResNet-18 (9,000 → 7,000) and DenseNet (12,000 → 10,000); GoogLeNet gets 15,000
 *   (its .750 at 14,000 had no margin).
 * - `d2l run notebooks --profile cpu` with these rows from a clean clone on AVX2 (Zen 3, 2 cores, nothing else
 *   running; minutes include kernel start): 7.1 .813, 122/s, 8.4 min; 7.2 .824, 125/s, 6.0; 7.3 NiN **.375**
 *   (still on the plateau: 15,000 images are too few), 184/s, 7.3; 7.4 .758, 159/s, 6.7; 7.5 LeNet-BN **.831** /
 *   concise .864, 3,717/s / 8,987/s, 3.4; 7.6 .763, 48/s, 8.1; 7.7 DenseNet **.731**, 73/s, 7.3. Open: NiN,
 *   DenseNet (room for ~12,000 images) and the scratch LeNet-BN's epoch-to-epoch swing miss their goals.
 * - Follow-up probes on AVX2 (same machine; test accuracy after each epoch on 2,000 images, 10,000 for LeNet-BN):
 *   DenseNet@64 at the book's lr 0.1 swings with the batch of 64 (the book's 0.1 is for batch 256): the notebook
 *   ended .731 on 10,000 images and .666 on 12,000 (train .872); lr 0.05 on 10,000 climbs steadily, .599 .770
 *   .785, so the row takes lr 0.05 (ResNet-18's book lr) and stays at 10,000 (54–63 ex/s while other work ran).
 *   The notebook with that row: .711 (train .867), 56.7 ex/s, 9.4 min — its test accuracy still depends on the
 *   run (eval uses the moving batch-norm statistics of only 3 epochs); open.
 *   NiN's plateau is a matter of steps more than examples: b64 lr 0.1 on 20,000 images stayed on it for the whole
 *   notebook run (.126); lr 0.05 left it later (.097 .177 .187 .456 .591); b32 lr 0.1 left it in the second
 *   epoch but then swung (.181 .646 .677 .628); lr 0.2 b64: .097 .094 .184 .302 .496. So batch 32 (more steps per
 *   example) at the book's lr 0.1, on 18,000 images (180 ex/s: ~8.5 min of steps). The notebook with that row:
 *   .563, 173 ex/s, 9.3 min — NiN on 2 AVX2 cores in ten minutes was still open (the init, below, is why).
 *   7.5 with lr 0.2, 10 epochs: .878 / concise .882, 3,261 / 7,425 ex/s, 5.0 min.
 *   LeNet-BN (full data, batch 128, 10 epochs): lr 0.1 → .789 .832 .801 .851 .828 .828 .814 .865 .869 .872,
 *   lr 0.2 → .806 .843 .793 .855 .854 .864 .856 .880 .877 .877 (~2,800 ex/s, 3.6–3.8 min): the row takes lr 0.2
 *   and the book's 10 epochs (the notebook's scratch run at lr 0.3, 8 epochs had ended .831).
 * - NiN's plateau is the init's (AVX2, 2 cores; probe on 12,000 images × 4 epochs, 2,000 test images, b64): Xavier
 *   (the book's, variance 2/(fan_in+fan_out)) halves the signal's variance at each of the 12 ReLU convs, so the
 *   logits start almost constant. Xavier lr 0.03 → .102 .102 .102 .094; Kaiming (variance 2/fan_in) lr 0.03 →
 *   .401 .611 .669 .701, lr 0.02 → .341 .624 .621 .655, lr 0.05 → .104 .226 .259 .358; Kaiming at the book's lr
 *   0.1 (b32 or b64) and at 0.2 stayed at .10 over 6,400 images × 2 (too large a step for the wider init). So
 *   7.3's rows take `init: 'kaiming'` and lr 0.03 at batch 64 (the notebook says why; `book` keeps Xavier). The
 *   notebook on 18,000 images: .752 (train .803, still rising), 308 ex/s, 5.2 min — this session's machine
 *   trained NiN ~1.7× faster than the last one's (173 ex/s), so the row takes 24,000 images: that notebook run
 *   ended .695 (train .670, loss .92: it left the plateau later), 277 ex/s, 7.7 min; a second one .625 (train
 *   .621), 292 ex/s, 7.3 min. Kaiming ends the long plateaus, but these runs stay below .75.
 *   More seeds of that probe (12,000 × 4, Kaiming): b64 lr 0.03 seed 2 → .254 .376 .622 .658, seed 3 → .317 .418
 *   .521 .527; b64 lr 0.04 seed 1 → .395 .635 .650 .689, seed 2 → .213 .112 .656 .601; b32 lr 0.03 seed 1 → .439
 *   .632 .769 .810, seed 2 → .297 .460 .621 .668 (the best pair, at the same ~280 ex/s as b64). At 99×99 (the
 *   smallest input with a 2×2 last map) b32 lr 0.03 on 8,000 × 3: seed 2 → .397 .718 .765, seed 3 → .144 .419
 *   .503, at 103–129 ex/s (2.2× the cost per example): no surer. Why runs differ this much: the last NiN block
 *   ends in a 1×1 convolution with 10 channels and a ReLU, and at 67×67 its map is 1×1, so each logit is one ReLU
 *   output. ReLU features share a positive mean, so a zero-mean random 1×1 kernel gives each channel an offset of
 *   the same sign for every example: at init 4–5 of the 10 classes output exactly 0 for a whole batch of 32,
 *   and after 25–250 steps 60–88% of the logits are exactly 0 (4–8 classes dead per batch; lr 0.01 and biases
 *   of 0.1 the same). A dead class gets no gradient and comes back only when the layers below change, so when
 *   the run leaves the plateau is luck of the draw (exercise 4's question). Unseeded notebook runs of b32 lr
 *   0.03 on 20,000 images × 5: .780 (train .791; 194 ex/s, 9.1 min, with tests running beside it) and .462
 *   (train .471; 247 ex/s, 7.2 min). The row takes b32 lr 0.03 and 22,000 images.
 * - `d2l run notebooks --profile cpu` from a clean clone with these rows (AVX2 Zen 3, 2 cores, nothing else
 *   running; minutes include kernel start; test accuracy on 2,000 images): 7.1 .797, 147/s, 7.0 min; 7.2 VGG
 *   **.560** (train .798; test after each epoch .459 .723 .711 .560: the book's lr 0.05 is for batch 128, and at
 *   batch 32 the last epoch swung), 159/s, 4.7; 7.3 NiN .760, 230/s, 8.5; 7.4 .776, 185/s, 5.8; 7.5 LeNet-BN
 *   .873 / concise .888, 3,334 / 7,712 ex/s, 4.9; 7.6 .848, 49.5/s, 7.8; 7.7 DenseNet .789, 63/s, 8.4. Open:
 *   VGG's row (lr scaled to the batch, with Kaiming for the plateau, as NiN), and NiN's run-to-run spread.
 * - VGG at batch 32 (AVX2, probe on 10,000 images × 4, 2,000 test images): lr 0.025 with the book's Xavier sat on
 *   the plateau for two epochs (seed 1: .102 .102 .495 .679); lr 0.025 with Kaiming left it at once and climbed
 *   steadily (seed 1: .716 .817 .804 .849, seed 2: .749 .787 .825 .840; 124–166 ex/s). So 7.2's rows take lr 0.025
 *   (the book's 0.05 scaled toward batch 32) and `init: 'kaiming'`, on 14,000 images to use the budget. The
 *   notebook with that row, twice (unseeded): .872 (train .870), 136 ex/s, 7.5 min; .852 (train .860), 131 ex/s, 7.7.
 * - `d2l run notebooks --profile cpu` from a clean clone with VGG's new row (AVX2 Zen 3, 2 cores): 7.1 .786, 139/s,
 *   7.4 min; 7.2 VGG .830 (train .868), 139/s, 7.4; 7.3 NiN **.336** (train .331), 224/s, 8.7; 7.4 .787, 165/s,
 *   6.5; 7.5 LeNet-BN .884 / concise .872, 3,448 / 7,631 ex/s, 4.7; 7.6 .832, 49/s, 7.9; 7.7 .811, 57/s, 9.4 (the
 *   closest to ten minutes: this machine's noise is ±10%). NiN is the one left: more tries at its dead classes
 *   (probe 12,000 × 4): batch 16 at lr 0.02, seed 2 → .512 .721 .789 .795 but seed 3 → .220 .243 .299 .373; a
 *   data-dependent init (Kaiming, then each conv rescaled so its pre-activations on 256 training images have mean 0
 *   and variance 1 per channel, Krähenbühl et al. 2016) starts every class alive but trained worse: lr 0.03 seeds
 *   1/2 → .099/.100 throughout (every class died in the first steps), lr 0.01 → .194/.329. Not kept.
 *   A linear lr warmup over the first epoch (375 steps, b32 lr 0.03, 12,000 × 4): seed 2 → .352 .492 .667 .714,
 *   seed 3 → .103 .238 .458 .517: not surer either.
 * - What works is starting the head where no class is dead: `init: 'kaiming-zero-head'` (src/train/init.ts) keeps
 *   Kaiming but starts the last 1×1 conv at a zero kernel and biases 0.1, so every class starts open with the same
 *   score. Probe b32 lr 0.03, 12,000 × 4 (AVX2): seed 1 → .555 .704 .762 .798, seed 2 → .343 .607 .734 .761,
 *   seed 3 → .477 .663 .738 .783, seed 4 → .404 .652 .674 .721, seed 5 → .429 .675 .728 .784: every seed leaves
 *   the plateau in its first epoch (with a random head, seed 2 had reached .668 and seed 3 .517–.373 at most).
 *   7.3's rows take it, with the same b32, lr 0.03 and 22,000 images × 5 (2.3× the probe's examples).
 *   `D2L_SEED` (src/settings.ts) seeds a notebook run, so one machine and seed repeat it.
 * - `d2l run notebooks --profile cpu` from a clean clone with NiN's new rows (AVX2 Zen 3, 2 cores; minutes include
 *   kernel start; test on 2,000 images): 7.1 .815, 173/s, 6.0 min; 7.2 .869, 162/s, 6.3; 7.3 NiN .845 (train
 *   .843), 223/s, 8.8; 7.4 GoogLeNet **.746**, 227/s, 4.7; 7.5 .872 / concise .873, 4,112 / 11,223 ex/s, 3.7; 7.6
 *   .831, 73/s, 5.4; 7.7 DenseNet **.694** (train .869), 160/s, 3.5. The buffer pool's best fit made GoogLeNet,
 *   ResNet-18 and DenseNet train 1.4–2.8× faster than the rows were sized for, so GoogLeNet takes 22,000 images
 *   (its curve was still rising) and DenseNet 15,000 × 4 (a 4th epoch for the moving batch-norm statistics).
 *   With those rows (one run each): DenseNet .816 (train .895), 162/s, ~7 min; GoogLeNet at the book's lr 0.1
 *   ended train .803 but test **.419** (the last steps swung; 0.1 is the book's lr for batch 128), at lr 0.05 .772
 *   (train .632), 262/s, ~7 min. So 7.4's row takes lr 0.05 (one run: the margin is thin).
 * - `d2l run notebooks --profile cpu` from a clean clone with all these rows, on AVX-512 Zen 4 (2 cores, nothing
 *   else running; 31.3 min in all): 7.1 .790 (train .769), 276/s, 3.8 min; 7.2 .857, 238/s, 4.3; 7.3 NiN .866,
 *   350/s, 5.6; 7.4 GoogLeNet .784 (train .786), 289/s, 5.4; 7.5 .882 / concise .872, 5,091 / 11,762 ex/s, 3.2;
 *   7.6 .858, 100/s, 4.0; 7.7 DenseNet .880 (train .893), 211/s, 5.1. The rows stay sized for the slower AVX2
 *   laptop: on this machine a notebook ends in about half the budget.
 * - DenseNet at lr 0.05 (b64, 10,000 images × 3): an unseeded notebook run ended train .873 but test **.508**
 *   (87 ex/s, 6.1 min); the seeded probe .785, and the same net with its moving statistics recalibrated by 30
 *   training-mode batches .827 — the eval-mode result swings with the last steps' size. Scaling the book's lr
 *   with the batch (0.1 at 256 → 0.025 at 64): the notebook ended train .869, test .778, 72.6 ex/s, 7.4 min.
 * - wasm rows (`cpuWasm`, where oneDNN is missing; D2L_BACKEND=wasm on the same machine): 7.5 with the book's
 *   lr 1.0, batch 256, 5 epochs took 6.6 min and ended .825 / .784 (the swing above), so it gets LeNet-BN's native
 *   settings with 6 epochs (not re-measured). 7.3 on wasm (Zen 4, 1 thread: wasm here has no threads) ended
 *   train .549, test .535 on 1,000 images at 43 ex/s in 8.2 min: 20,000 example passes do not get NiN past its
 *   first plateau, and more do not fit in ten minutes. wasm trains at roughly 10 GMAC/s on one thread
 *   (ResNet-18@96: ~106 ms per example), so ~10 minutes holds ~10,000 example passes at these sizes, evaluation
 *   included; wasm's 4 GiB heap does not hold ResNet/DenseNet/GoogLeNet at batch 256, so batches of 32–64.
 * - Subsets are the first examples of each set (the training subset is reshuffled every epoch). The rows are
 *   fixed per compute, not derived from a timing, so the same machine and seed give the same run.
 */
const TABLES: Record<SectionId, SectionTable> = {
  '7.1': {
    model: 'AlexNet',
    book: { numEpochs: 10, batchSize: 128, lr: 0.01, resize: 224, trainLimit: 0, testLimit: 0 },
    cpu: { numEpochs: 3, batchSize: 64, lr: 0.1, resize: 67, trainLimit: 19000, testLimit: 2000 },
    cpuWasm: { numEpochs: 4, batchSize: 32, lr: 0.05, resize: 67, trainLimit: 4000, testLimit: 1000 },
    smoke: { numEpochs: 1, batchSize: 32, resize: 67, trainLimit: 256, testLimit: 128 },
  },
  '7.2': {
    model: 'VGG-11 (channels ÷4)',
    book: { numEpochs: 10, batchSize: 128, lr: 0.05, resize: 224, trainLimit: 0, testLimit: 0, init: 'xavier' },
    cpu: { numEpochs: 4, batchSize: 32, lr: 0.025, resize: 64, trainLimit: 14000, testLimit: 2000, init: 'kaiming' },
    cpuWasm: { numEpochs: 4, batchSize: 32, lr: 0.025, resize: 64, trainLimit: 4800, testLimit: 1000, init: 'kaiming' },
    smoke: { numEpochs: 1, batchSize: 32, lr: 0.025, resize: 32, trainLimit: 256, testLimit: 128, init: 'kaiming' },
  },
  '7.3': {
    model: 'NiN',
    book: { numEpochs: 10, batchSize: 128, lr: 0.1, resize: 224, trainLimit: 0, testLimit: 0, init: 'xavier' },
    cpu: { numEpochs: 5, batchSize: 32, lr: 0.03, resize: 67, trainLimit: 22000, testLimit: 2000, init: 'kaiming-zero-head' },
    cpuWasm: { numEpochs: 5, batchSize: 32, lr: 0.03, resize: 67, trainLimit: 4000, testLimit: 1000, init: 'kaiming-zero-head' },
    smoke: { numEpochs: 1, batchSize: 32, lr: 0.03, resize: 67, trainLimit: 256, testLimit: 128, init: 'kaiming-zero-head' },
  },
  '7.4': {
    model: 'GoogLeNet',
    book: { numEpochs: 10, batchSize: 128, lr: 0.1, resize: 96, trainLimit: 0, testLimit: 0 },
    cpu: { numEpochs: 4, batchSize: 32, lr: 0.05, resize: 32, trainLimit: 22000, testLimit: 2000 },
    cpuWasm: { numEpochs: 4, batchSize: 32, resize: 48, trainLimit: 3000, testLimit: 1000 },
    smoke: { numEpochs: 1, batchSize: 32, resize: 32, trainLimit: 96, testLimit: 64 },
  },
  '7.5': {
    model: 'LeNet with batch normalization',
    book: { numEpochs: 10, batchSize: 256, lr: 1.0, trainLimit: 0, testLimit: 0 },
    cpu: { batchSize: 128, lr: 0.2 },
    cpuWasm: { numEpochs: 6, batchSize: 128, lr: 0.2 },
    smoke: { numEpochs: 1, trainLimit: 1024, testLimit: 512 },
  },
  '7.6': {
    model: 'ResNet-18',
    book: { numEpochs: 10, batchSize: 256, lr: 0.05, resize: 96, trainLimit: 0, testLimit: 0 },
    cpu: { numEpochs: 3, batchSize: 64, resize: 64, trainLimit: 7000, testLimit: 2000 },
    cpuWasm: { numEpochs: 3, batchSize: 64, resize: 64, trainLimit: 2000, testLimit: 1000 },
    smoke: { numEpochs: 1, batchSize: 32, resize: 32, trainLimit: 96, testLimit: 64 },
  },
  '7.7': {
    model: 'DenseNet',
    book: { numEpochs: 10, batchSize: 256, lr: 0.1, resize: 96, trainLimit: 0, testLimit: 0 },
    cpu: { numEpochs: 4, batchSize: 64, lr: 0.025, resize: 64, trainLimit: 15000, testLimit: 2000 },
    cpuWasm: { numEpochs: 3, batchSize: 64, lr: 0.025, resize: 64, trainLimit: 2000, testLimit: 1000 },
    smoke: { numEpochs: 1, batchSize: 32, resize: 32, trainLimit: 96, testLimit: 64 },
  },
};

/** The sections with a profile table, in order. */
export const PROFILE_SECTIONS: readonly SectionId[] = Object.keys(TABLES) as SectionId[];

function table(section: string): SectionTable {
  const t = (TABLES as Record<string, SectionTable | undefined>)[section];
  if (!t) throw new Error(`unknown section '${section}'; the notebooks' sections are ${PROFILE_SECTIONS.join(', ')}`);
  return t;
}

/** The section's parameters at the book's values, in the order the notebook declares them. */
export function bookParameters(section: SectionId | string): ParameterValues {
  return { ...table(section).book } as ParameterValues;
}

/**
 * The full set of values of one profile (the book's values with the profile's changes applied); `cpu` takes the
 * rows of `compute` (default: `cpuCompute()`).
 */
export function profileValues(section: SectionId | string, profile: ProfileName | string,
                              compute: CpuCompute = profile === 'cpu' ? cpuCompute() : 'native'): ParameterValues {
  const t = table(section);
  checkProfileName(profile);
  if (profile === 'auto') {
    throw new Error("profileValues: 'auto' is decided where the notebook runs; pass resolveProfileName('auto') instead");
  }
  const rows = profile === 'book' ? {} : profile === 'cpu' ? (compute === 'wasm' ? t.cpuWasm : t.cpu) : t.smoke;
  return { ...t.book, ...rows } as ParameterValues;
}

function envProfile(): string | undefined {
  const p = setting('D2L_PROFILE') ?? ''; // trimmed; src/settings.ts reads the variable
  return p && p !== 'auto' ? p : undefined;
}

function gpuBackend(): boolean {
  // Loaded only here, so that `d2l run` can check and resolve profiles without TensorFlow.js
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { tryGpu } = require('./backend') as { tryGpu(): Device };
  return tryGpu().type === 'gpu';
}

/**
 * The profile `profile` stands for on this machine: `auto` is `D2L_PROFILE` when set, else `book` on a GPU
 * backend and `cpu` otherwise; other names are checked and returned unchanged.
 */
export function resolveProfileName(profile: ProfileName | 'auto' | string, opts: { gpu?: boolean } = {}): ProfileName {
  checkProfileName(profile);
  if (profile !== 'auto') return profile as ProfileName;
  const fromEnv = envProfile();
  if (fromEnv) {
    try {
      return resolveProfileName(fromEnv, opts);
    } catch (e) {
      throw new Error(`D2L_PROFILE: ${(e as Error).message}`);
    }
  }
  return (opts.gpu ?? gpuBackend()) ? 'book' : 'cpu';
}

/** Options of `settings`, mainly for tests. */
export interface SettingsOptions {
  /** Whether a GPU backend is in use (decides `auto`). Default: `tryGpu().type === 'gpu'`. */
  gpu?: boolean;
  /** Where the explanation goes. Default: `console.log`. */
  log?: (line: string) => void;
}

/**
 * A section's settings under `profile` (`auto`: see `resolveProfileName`), as the notebook's parameters cell
 * declares them; prints which profile was chosen and why, the values, and how to change them.
 *
 * @example
 * let profile = 'auto';
 * let { numEpochs, batchSize, lr, resize, trainLimit, testLimit } = d2l.settings('7.6', profile);
 */
export function settings(section: SectionId | string, profile: ProfileName | 'auto' | string = 'auto',
                         opts: SettingsOptions = {}): ParameterValues {
  const t = table(section);
  const log = opts.log ?? ((line: string) => console.log(line));
  const chosen = resolveProfileName(profile, opts);
  const why = profile !== 'auto' ? ''
    : envProfile() ? ' (auto: from D2L_PROFILE)'
    : chosen === 'book' ? ' (auto: a GPU backend is available)' : ' (auto: no GPU backend, so a shorter CPU run)';
  const compute = chosen === 'cpu' ? cpuCompute() : undefined;
  const values = profileValues(section, chosen, compute);
  const rows = compute ? ` (rows for the ${compute} backend${compute === 'wasm' ? ': no oneDNN here, so a smaller run' : ''})` : '';
  log(`profile '${chosen}'${why}${rows} for ${t.model}: ` +
    Object.entries(values).map(([name, value]) => `${name}=${value}`).join(', '));
  const others = PROFILE_NAMES.filter((p) => p !== chosen).map((p) => `'${p}'`).join(' or ');
  log(`  to change it: set profile = ${others} in the parameters cell, or run \`d2l run --profile book <notebook>\``);
  return values;
}
