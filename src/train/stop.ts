/**
 * How a host asks a training loop to stop between two steps. Our Jupyter kernel installs the registry when the
 * stop button is pressed during a cell (kernel/interrupt.ts); outside a kernel there is none and nothing stops.
 * A loop that stops at a step boundary leaves the model as the last completed step left it, and none of the
 * step's tensors behind. The registry lives on `globalThis` under a registered symbol, like the display sink,
 * so a notebook that loads another copy of d2l still finds it.
 */
const KEY = Symbol.for('d2l.stopRequests');

/** Implemented by the host. */
export interface StopRequests {
  /** A loop that checks `requested()` between its steps starts; returns the function to call when it ends. */
  enter(): () => void;
  /** True once a stop was asked for the running cell. */
  requested(): boolean;
}

/** Thrown by a training loop that stopped because the host asked it to. */
export class KeyboardInterrupt extends Error {
  override name = 'KeyboardInterrupt';
  constructor(message = 'training stopped at a step boundary') {
    super(message);
  }
}

function registry(): StopRequests | undefined {
  return (globalThis as any)[KEY];
}

/**
 * Runs `loop` as a loop that honours stop requests at its step boundaries (it calls `checkStop()` between steps).
 */
export async function stoppable<T>(loop: () => Promise<T>): Promise<T> {
  const exit = registry()?.enter();
  try {
    return await loop();
  } finally {
    exit?.();
  }
}

/** Throws KeyboardInterrupt if the host asked to stop. */
export function checkStop(): void {
  if (registry()?.requested()) throw new KeyboardInterrupt();
}
