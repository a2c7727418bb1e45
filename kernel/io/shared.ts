/**
 * The few facts the kernel's two threads share through memory rather than messages, because the main thread may
 * be too busy to read messages (a cell spinning on promises never returns to the event loop). One Int32 slot each.
 */
export enum Slot {
  /** Execution id of the cell now running (0: none). Written by the main thread. */
  Running,
  /** Execution id an interrupt is aimed at (0: none). Set by the I/O thread, cleared by the main thread. */
  Interrupt,
  /**
   * Depth of tfjs ops on the main thread. Inside an op neither SIGINT (V8 would stop the engine's bookkeeping
   * halfway on return from the native kernel) nor termination is used: the op-boundary check throws at the next op.
   */
  InOp,
  /**
   * > 0 while the main thread runs code that must never be terminated: a timer callback (Node's async-context
   * stack) or the kernel's own work such as compiling a cell (tslab). SIGINT is fine there (vm's watchdog).
   */
  Shielded,
  /** Incremented by the main thread whenever its event loop turns (tells a starved loop from a busy one). */
  LoopTurns,
  /** Set to 1 (and notified) by the I/O thread once its sockets are closed, for a synchronous exit. */
  Closed,
  /** Shell messages received so far; each request carries its number (for stop_on_error's abort rule). */
  ShellArrivals,
  /**
   * When the I/O thread last sent SIGINT to its own process (ms since `epoch`, see channel.ts). The main thread's
   * SIGINT handler ignores signals this recent: V8's watchdog already acted on them, and one whose handler runs
   * late must not interrupt the next cell. A SIGINT from outside (Ctrl+C) interrupts the running cell.
   */
  SelfSignalAt,
  /**
   * 1 while the I/O thread is between checking that the interrupted cell still runs and sending it SIGINT. The
   * main thread, ending a cell, waits until it is 0: otherwise a thread descheduled there (a loaded machine)
   * could send the signal after the cell ended and stop the next cell instead.
   */
  Signalling,
  /** How many slots there are. */
  Count,
}

export const SHARED_BYTES = Slot.Count * Int32Array.BYTES_PER_ELEMENT;

export type SharedSlots = Int32Array;
