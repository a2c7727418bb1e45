/**
 * `file://` model files without tfjs-node: `model.save('file://dir')` writes dir/model.json + dir/weights.bin,
 * `tf.loadLayersModel('file://dir/model.json')` reads them back (the same layout tfjs-node uses).
 *
 * Pure @tensorflow/tfjs registers only http(s) handlers in Node. tfjs-node registers its own `file://` router, and
 * two routers matching one URL make save/load throw "more than one", so d2l's router steps aside whenever another
 * router also claims the URL (checked on every call, so it also holds if tfjs-node is loaded later).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/** tf's router type (not exported by name from tf.io). */
type IORouter = Parameters<typeof tf.io.registerSaveRouter>[0];

const SCHEME = 'file://';
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** Turns `file://dir` or `file://dir/model.json` into [model.json path, its directory]. */
function modelPaths(url: string): { modelJson: string; dir: string } {
  const p = url.slice(SCHEME.length);
  if (!p) throw new Error(`'${url}' names no path: use file://<directory> to save, file://<directory>/model.json to load`);
  if (p.endsWith('.json')) return { modelJson: path.resolve(p), dir: path.dirname(path.resolve(p)) };
  return { modelJson: path.resolve(p, MODEL_FILE), dir: path.resolve(p) };
}

/** Writes `data` to `file` through a temp file in the same directory, then renames (readers never see half a file). */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** IOHandler for one `file://` URL. */
export function fileIOHandler(url: string): tf.io.IOHandler {
  const { modelJson, dir } = modelPaths(url);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('file:// saving of binary (graph-model) topologies is not supported; save a LayersModel');
      }
      await fs.promises.mkdir(dir, { recursive: true });
      const weights = artifacts.weightData == null
        ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }];
      const json: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: manifest,
      };
      for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
        if (artifacts[key] != null) json[key] = artifacts[key];
      }
      // Weights first: a model.json on disk always points at complete weights.
      await writeAtomic(path.join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      await writeAtomic(modelJson, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: weights }) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await fs.promises.readFile(modelJson, 'utf8');
      } catch (err) {
        throw new Error(`cannot read model file ${modelJson}: ${(err as Error).message}. ` +
          `Load with tf.loadLayersModel('file://<dir>/${MODEL_FILE}') after saving with model.save('file://<dir>').`);
      }
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(text) as tf.io.ModelJSON;
      } catch (err) {
        throw new Error(`model file ${modelJson} is not valid JSON (${(err as Error).message}); it may be truncated`);
      }
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const rel of group.paths) {
            const file = path.resolve(path.dirname(modelJson), rel);
            const bytes = await fs.promises.readFile(file).catch((err: Error) => {
              throw new Error(`cannot read weights file ${file} named in ${modelJson}: ${err.message}`);
            });
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

let registered = false;
let probing = false;

/** A router that claims `file://` URLs unless another registered router (e.g. tfjs-node's) claims them too. */
function fileRouter(kind: 'save' | 'load'): IORouter {
  const route = (url: string | string[]): tf.io.IOHandler | null => {
    if (probing || Array.isArray(url) || typeof url !== 'string' || !url.startsWith(SCHEME)) return null;
    probing = true; // while probing, this router answers null, so only the *other* routers are counted
    try {
      const others = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
      if (others.length > 0) return null;
    } finally {
      probing = false;
    }
    return fileIOHandler(url);
  };
  return route as IORouter; // tf's IORouter type omits the null that "not mine" routers return
}

/** Whether d2l's `file://` routers are registered with tf.io. */
export function fileRouterRegistered(): boolean {
  return registered;
}

/**
 * Registers d2l's `file://` save and load routers once (d2l does it at import, from its patch table in
 * src/ops/patches.ts; harmless to call again).
 */
export function registerFileRouter(): void {
  if (registered) return;
  tf.io.registerSaveRouter(fileRouter('save'));
  tf.io.registerLoadRouter(fileRouter('load'));
  registered = true;
}
