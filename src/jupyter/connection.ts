/**
 * Connection files: the JSON a kernel reads at start-up to learn its five ports and the signing key.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { ConnectionInfo } from '../../kernel/wire';

// Ports handed out by this process recently. Several kernels started at once (`d2l run --jobs N`) must not be
// given the same free port before any of them has bound it.
const recentlyUsed = new Set<number>();

function freePort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, ip, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
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

/** New connection info on localhost TCP with free ports and a random HMAC-SHA256 key. */
export async function newConnectionInfo(kernelName?: string): Promise<ConnectionInfo> {
  const ip = '127.0.0.1';
  const [shell, iopub, stdin, control, hb] = await distinctFreePorts(ip, 5);
  return {
    transport: 'tcp',
    ip,
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    ...(kernelName ? { kernel_name: kernelName } : {}),
  };
}

/** Writes the connection file readable only by its owner (it holds the key) and returns its path. */
export function writeConnectionFile(info: ConnectionInfo): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-kernel-'));
  const file = path.join(dir, 'kernel.json');
  fs.writeFileSync(file, `${JSON.stringify(info, null, 1)}\n`, { mode: 0o600 });
  return file;
}

/** Deletes a connection file written by `writeConnectionFile` (and its private directory). */
export function removeConnectionFile(file: string): void {
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

/** The ZeroMQ endpoint of one channel. */
export function endpoint(info: ConnectionInfo, port: number): string {
  return info.transport === 'ipc' ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}
