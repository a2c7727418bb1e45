/**
 * The machine's FP32 peak for `d2l bench`'s "% of peak" column, and how each factor was found:
 *   peak = threads × FMA pipes per core × 2 FLOPs per FMA × FP32 lanes per pipe × clock.
 * - lanes: from the ISA oneDNN's kernels use (the addon's `cpuIsa()`, which honours ONEDNN_MAX_CPU_ISA), else
 *   from /proc/cpuinfo's flags: 16 with AVX-512, 8 with AVX/AVX2, 4 otherwise. AMD family 25 (Zen 4) runs
 *   AVX-512 on 256-bit pipes, so 8 there;
 * - FMA pipes: 2 per core — Zen 2–5 and Intel cores since Haswell have two (some Xeon Silver/Bronze parts have
 *   one 512-bit FMA: their peak is half of what is printed);
 * - clock: the larger of the clock the addon measures with `threads` cores busy (`measureClockGhz`: dependent
 *   adds, one per cycle) and the stated one — the kernel's `cpuinfo_max_freq` (cpufreq) if readable, else
 *   /proc/cpuinfo's `cpu MHz`. In a VM the stated clock is the host's nominal one, below the boost the cores run
 *   at (Zen 4: 2.6 GHz stated, AlexNet's step then counted 106% of "peak"); the larger of the two keeps the peak an
 *   upper bound when another process slows the measurement. Still an estimate: a core may clock lower under
 *   heavy vector load than under the adds.
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

type Addon = import('../backend/native/addon').NativeAddon;

/** The oneDNN addon, or null when it is not built. */
function addonOrNull(): Addon | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadAddon } = require('../backend/native/addon') as typeof import('../backend/native/addon');
    return loadAddon();
  } catch {
    return null;
  }
}

/** The ISA from the oneDNN addon, or null when it is not built (or too old to say). */
function onednnIsa(addon: Addon | null): string | null {
  const isa = addon && typeof addon.cpuIsa === 'function' ? addon.cpuIsa() : 'unknown';
  return isa === 'unknown' ? null : isa;
}

/** The clock and where it came from: the larger of the measured and the stated one (see the header). */
export function pickClock(measuredGhz: number, statedGhz: number, stated: string, threads: number): { ghz: number; clock: string } {
  const measuredText = `measured ${measuredGhz.toFixed(2)} GHz on ${threads} busy core(s)`;
  if (measuredGhz > statedGhz) return { ghz: measuredGhz, clock: `${measuredText}; ${stated} says ${statedGhz.toFixed(2)}` };
  if (measuredGhz > 0) return { ghz: statedGhz, clock: `${stated}; ${measuredText}` };
  return { ghz: statedGhz, clock: stated };
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
  const addon = addonOrNull();
  const fromOnednn = onednnIsa(addon);
  const isa = fromOnednn ?? (flags.has('avx512f') ? 'avx512f' : flags.has('avx2') ? 'avx2' : flags.has('avx') ? 'avx' : 'sse');
  const lanes = lanesFor(isa, vendor, family);
  const fmaPipes = flags.has('fma') || isa.startsWith('avx512') ? 2 : 1;
  const maxKhz = Number(readText('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'));
  const mhz = Number(cpuinfoField(cpuinfo, 'cpu MHz'));
  let stated: number, statedFrom: string;
  if (maxKhz > 0) { stated = maxKhz / 1e6; statedFrom = 'cpufreq cpuinfo_max_freq'; }
  else if (mhz > 0) { stated = mhz / 1000; statedFrom = "/proc/cpuinfo 'cpu MHz'"; }
  else { stated = (os.cpus()[0]?.speed ?? 0) / 1000; statedFrom = 'os.cpus() speed'; }
  const measured = addon?.measureClockGhz?.(threads) ?? 0;
  const { ghz, clock } = pickClock(measured, stated, statedFrom, threads);
  const gflops = threads * fmaPipes * 2 * lanes * ghz;
  const how = `${threads} core(s) × ${fmaPipes} FMA pipe(s) × 2 × ${lanes} FP32 lanes (${isa}, ` +
    `${fromOnednn ? "oneDNN's ISA" : '/proc/cpuinfo flags'}) × ${ghz.toFixed(2)} GHz (${clock})`;
  return { gflops, isa, lanes, fmaPipes, ghz, how };
}
