/**
 * Whether d2l's native addon was built into this install — a file check only, so that `d2l run` can choose a
 * profile's rows without loading TensorFlow.js or oneDNN. (Loading it can still fail; `backendInfo()` says why.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../../util/package-root';

export function nativeAddonBuilt(): boolean {
  return fs.existsSync(path.join(packageRoot(), 'native', 'build', 'Release', 'd2l_native.node'));
}
