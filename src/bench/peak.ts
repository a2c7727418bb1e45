/**
 * The machine's FP32 peak for `d2l bench`'s "% of peak" column, and how each factor was found:
 *   peak = threads × FMA pipes per core × 2 FLOPs per FMA × FP32 lanes per pipe × clock.
 * - lanes: from the ISA oneDNN's kernels use (the addon's `cpuIsa()`, which honours ONEDNN_MAX_CPU_ISA), else
 *   from /proc/cpuinfo's flags: 16 with AVX-512, 8 with AVX/AVX2, 4 otherwise. AMD family 25 (Zen 4) runs
 *   AVX-512 on 256-bit pipes, so 8 there;
 * - FMA pipes: 2 per core — Zen 2–5 and Intel cores since Haswell have two (some Xeon Silver/Bronze parts have
 *   one 512-bit FMA: their peak is half of what is printed);
 * - clock: the kernel's `cpuinfo_max_freq` (cpufreq) if readable, else /proc/cpuinfo's `cpu MHz` (in a VM: the
 *   host's nominal clock; boost can exceed it, so "% of peak" is an estimate either way).
 */
import * as fs from 'fs';
import * as os from 'os';

export interface MachinePeak {
  /** GFLOP/s for the given thread count. */
  gflops: number;
  isa: string;
  lanes: number;
  fmaPipes: number;
  ghz: number;
  /** Where each factor came from, for the printed table. */
  how: string;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function cpuinfoField(cpuinfo: string, field: string): string | null {
  const m = new RegExp(`^${field}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo);
  return m ? m[1].trim() : null;
}

/** The ISA from the oneDNN addon, or null when it is not built (or too old to say). */
function onednnIsa(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadAddon } = require('../backend/native/addon') as typeof import('../backend/native/addon');
    const addon = loadAddon();
    const isa = typeof addon.cpuIsa === 'function' ? addon.cpuIsa() : 'unknown';
    return isa === 'unknown' ? null : isa;
  } catch {
    return null;
  }
}

/** FP32 lanes of one FMA pipe for an ISA name (oneDNN's, or a /proc/cpuinfo flag), on a CPU of `family`. */
export function lanesFor(isa: string, vendor: string | null, family: number | null): number {
  if (isa.startsWith('avx512')) return vendor === 'AuthenticAMD' && family === 25 ? 8 : 16;
  if (isa.startsWith('avx')) return 8;
  return 4;
}

/** The peak for `threads` cores, from this machine's /proc/cpuinfo and the oneDNN addon. */
export function machinePeak(threads: number): MachinePeak {
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  const flags = new Set((cpuinfoField(cpuinfo, 'flags') ?? '').split(/\s+/));
  const vendor = cpuinfoField(cpuinfo, 'vendor_id');
  const familyText = cpuinfoField(cpuinfo, 'cpu family');
  const family = familyText == null ? null : Number(familyText);
  const fromOnednn = onednnIsa();
  const isa = fromOnednn ?? (flags.has('avx512f') ? 'avx512f' : flags.has('avx2') ? 'avx2' : flags.has('avx') ? 'avx' : 'sse');
  const lanes = lanesFor(isa, vendor, family);
  const fmaPipes = flags.has('fma') || isa.startsWith('avx512') ? 2 : 1;
  const maxKhz = Number(readText('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'));
  const mhz = Number(cpuinfoField(cpuinfo, 'cpu MHz'));
  let ghz: number, clock: string;
  if (maxKhz > 0) { ghz = maxKhz / 1e6; clock = 'cpufreq cpuinfo_max_freq'; }
  else if (mhz > 0) { ghz = mhz / 1000; clock = "/proc/cpuinfo 'cpu MHz'"; }
  else { ghz = (os.cpus()[0]?.speed ?? 0) / 1000; clock = 'os.cpus() speed'; }
  const gflops = threads * fmaPipes * 2 * lanes * ghz;
  const how = `${threads} core(s) × ${fmaPipes} FMA pipe(s) × 2 × ${lanes} FP32 lanes (${isa}, ` +
    `${fromOnednn ? "oneDNN's ISA" : '/proc/cpuinfo flags'}) × ${ghz.toFixed(2)} GHz (${clock})`;
  return { gflops, isa, lanes, fmaPipes, ghz, how };
}
