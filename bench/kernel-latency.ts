/**
 * Kernel latency benchmark (prints numbers; not a test):
 *  - kernel start → first execute_result of `1+1` (target ≤ 3 s),
 *  - median round trip of a `1+1` execute_request → execute_reply after warm-up (target ≤ 20 ms).
 * Run: node -r ts-node/register/transpile-only bench/kernel-latency.ts [rounds]   (uses dist/ when up to date)
 */
import { TestKernel } from '../test/kernel/harness';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 50);
  const t0 = performance.now();
  const k = await TestKernel.start();
  const first = await k.run('1+1');
  const startToFirst = performance.now() - t0;
  if (first.reply.content.status !== 'ok') throw new Error('1+1 failed');
  for (let i = 0; i < 10; i++) await k.run('1+1'); // warm-up
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    const id = k.execute('1+1');
    await k.reply(id);
    times.push(performance.now() - s);
    await k.outputs(id);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`kernel start -> first result: ${(startToFirst / 1000).toFixed(2)} s (target <= 3 s)`);
  console.log(`1+1 round trip: median ${median.toFixed(1)} ms, p10 ${times[Math.floor(times.length * 0.1)].toFixed(1)} ms, p90 ${times[Math.floor(times.length * 0.9)].toFixed(1)} ms over ${rounds} runs (target median <= 20 ms)`);
  await k.stop();
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
