/**
 * Connection files: the JSON a kernel reads at start-up to learn its five channels and the signing key, and the
 * ZeroMQ endpoint of each channel. Used by the kernel (to bind) and by our clients (to connect).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { ConnectionInfo } from './wire';

// Ports handed out by this process recently. Several kernels started at once (`d2l run --jobs N`) must not be
// given the same free port before any of them has bound it.
const recentlyUsed = new Set<number>();

/**
 * The first port the OS hands out as the local end of outgoing connections (Linux: ip_local_port_range; macOS and
 * Windows use 49152 and up).
 */
export function ephemeralPortStart(): number {
  try {
    const first = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 0) return first;
  } catch {
    // not Linux: the IANA range below
  }
  return 49152;
}

// Ports are picked from here up to the ephemeral range's start.
const LOWEST_PORT = 10000;

function listenable(port: number, ip: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, ip, () => {
      const got = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(got));
    });
  });
}

/**
 * A TCP port free on `ip` right now, chosen *below* the ephemeral range. Why: a client connects to a kernel's ports
 * before the kernel has bound them (ZeroMQ retries until it has), and every attempt takes an ephemeral port as its
 * local end. A port the OS would pick for `listen(0)` can be taken that way, or by any other outgoing connection,
 * in the second before the kernel binds it; the kernel then fails with "Address already in use" (it did in CI).
 * Ports below the range are never handed out implicitly.
 */
export async function freePort(ip = '127.0.0.1'): Promise<number> {
  const end = ephemeralPortStart();
  if (end - LOWEST_PORT >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await listenable(LOWEST_PORT + Math.floor(Math.random() * (end - LOWEST_PORT)), ip);
      if (port !== undefined) return port;
    }
  }
  // A machine whose ephemeral range starts low, or with the range full: whatever the OS gives.
  const port = await listenable(0, ip);
  if (port === undefined) throw new Error(`no free TCP port on ${ip}: check that the address is this machine's`);
  return port;
}

async function distinctFreePorts(ip: string, count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort(ip);
    if (recentlyUsed.has(p) || ports.includes(p)) continue;
    ports.push(p);
  }
  for (const p of ports) recentlyUsed.add(p);
  if (recentlyUsed.size > 1000) recentlyUsed.clear();
  return ports;
}

export interface NewConnectionOptions {
  kernelName?: string;
  /**
   * 'tcp' (default): localhost ports. 'ipc': Unix sockets named `<ipcPrefix>-<n>`, for kernels that must not
   * touch the network (a kernel in its own network namespace can still be reached through a shared directory).
   */
  transport?: 'tcp' | 'ipc';
  /** For 'ipc': the socket path prefix, e.g. `/run/d2l/k1/kernel` (its directory must exist). */
  ipcPrefix?: string;
}

/** New connection info with free channels and a random HMAC-SHA256 key. */
export async function newConnectionInfo(opts: NewConnectionOptions | string = {}): Promise<ConnectionInfo> {
  const o: NewConnectionOptions = typeof opts === 'string' ? { kernelName: opts } : opts;
  const ipc = o.transport === 'ipc';
  if (ipc && !o.ipcPrefix) throw new Error("newConnectionInfo: transport 'ipc' needs ipcPrefix (a socket path prefix)");
  const ip = ipc ? o.ipcPrefix! : '127.0.0.1';
  const [shell, iopub, stdin, control, hb] = ipc ? [1, 2, 3, 4, 5] : await distinctFreePorts(ip, 5);
  return {
    transport: ipc ? 'ipc' : 'tcp',
    ip,
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    ...(o.kernelName ? { kernel_name: o.kernelName } : {}),
  };
}

/** Writes the connection file readable only by its owner (it holds the key) and returns its path. */
export function writeConnectionFile(info: ConnectionInfo, dir?: string): string {
  const home = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-kernel-'));
  const file = path.join(home, 'kernel.json');
  fs.writeFileSync(file, `${JSON.stringify(info, null, 1)}\n`, { mode: 0o600 });
  return file;
}

/** Deletes a connection file written by `writeConnectionFile` into its own private directory. */
export function removeConnectionFile(file: string): void {
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

/** The ZeroMQ endpoint of one channel. */
export function endpoint(info: Pick<ConnectionInfo, 'transport' | 'ip'>, port: number): string {
  return info.transport === 'ipc' ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}
