/**
 * How the kernel process ends besides a shutdown_request: a cell calling `process.exit(code)`, and the client
 * that started the kernel dying (Jupyter's `JPY_PARENT_PID` convention). Both must end with a normal exit:
 * ZeroMQ sockets left open while Node tears the process down abort it with SIGABRT, which clients report as a
 * crash, and an orphaned kernel would otherwise hold its ports and memory forever.
 */
import { kernelLog } from './output';
import { realTimers } from './timers';

export interface Closable {
  /** Sends what is still pending and closes every socket before returning. */
  closeNow(): void;
}

/**
 * Makes `process.exit` close the sockets first (after pending output went out), then exit with the code asked
 * for. It still never returns, so a cell's code after `process.exit()` does not run.
 */
export function exitCleanlyOnProcessExit(transport: Closable): void {
  const realExit = process.exit.bind(process);
  let exiting = false;
  const exit = (code?: number | string | null): never => {
    if (!exiting) {
      exiting = true;
      try {
        transport.closeNow();
      } catch (e) {
        kernelLog(`closing before exit failed: ${e instanceof Error ? e.message : e}`);
      }
    }
    return realExit(code ?? undefined);
  };
  process.exit = exit as typeof process.exit;
}

/** How often the parent's liveness is checked; Jupyter's own kernels poll about once a second. */
export const PARENT_POLL_MS = 1000;

/**
 * Calls `onGone` once the process named by JPY_PARENT_PID (the client that started us) no longer exists.
 * Returns a function that stops watching. Does nothing if the variable is absent or not a pid.
 */
export function watchParent(env: NodeJS.ProcessEnv, onGone: () => void): () => void {
  const pid = Number(env.JPY_PARENT_PID);
  if (!Number.isInteger(pid) || pid <= 1 || process.platform === 'win32') return () => undefined;
  // When the parent is our direct parent, a changed ppid (we were re-parented) proves it died even if the pid
  // was reused since; otherwise (started through a wrapper) ask whether the pid still exists.
  const directChild = process.ppid === pid;
  const alive = (): boolean => {
    if (directChild) return process.ppid === pid;
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
    }
  };
  const timer = realTimers.setInterval(() => {
    if (alive()) return;
    clearInterval(timer);
    kernelLog(`parent process ${pid} is gone: shutting down`);
    onGone();
  }, PARENT_POLL_MS);
  timer.unref(); // never the only thing keeping the kernel alive
  return () => clearInterval(timer);
}
