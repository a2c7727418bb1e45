/**
 * Jupyter wire format (messaging spec 5.3): framing, HMAC signing and verification.
 * Shared by our kernel (server side) and by our clients (`d2l run`, `d2l grade`). No sockets here.
 *
 * A message on a ROUTER/DEALER/PUB socket is:
 *   [identities..., '<IDS|MSG>', signature, header, parent_header, metadata, content, buffers...]
 * where signature = hex(HMAC(key, header + parent_header + metadata + content)).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'crypto';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = '<IDS|MSG>';

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [extra: string]: unknown;
}

export interface Message<C = any> {
  identities: Buffer[];
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** The fields of a Jupyter connection file. */
export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export class WireError extends Error {
  override name = 'WireError';
}

/** Signs and verifies messages. An empty key disables signing, as the spec allows (then nothing is checked). */
export class Signer {
  private readonly algorithm: string;

  constructor(private readonly key: string, scheme = 'hmac-sha256') {
    const m = /^hmac-(.+)$/.exec(scheme);
    if (!m) throw new WireError(`unsupported signature_scheme '${scheme}' (expected hmac-sha256)`);
    this.algorithm = m[1];
  }

  get enabled(): boolean {
    return this.key.length > 0;
  }

  sign(frames: Array<string | Buffer>): string {
    if (!this.enabled) return '';
    const h = createHmac(this.algorithm, this.key);
    for (const f of frames) h.update(f);
    return h.digest('hex');
  }

  verify(signature: string, frames: Array<string | Buffer>): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(frames), 'utf8');
    const got = Buffer.from(signature, 'utf8');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}

export function newHeader(msgType: string, session: string, username = 'd2l'): MessageHeader {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** Builds a message that answers or follows `parent` (its header becomes our parent_header). */
export function childMessage<C>(
  parent: Pick<Message, 'header' | 'identities'> | undefined,
  msgType: string,
  content: C,
  session: string,
  metadata: Record<string, unknown> = {},
): Message<C> {
  return {
    identities: parent ? parent.identities : [],
    header: newHeader(msgType, session, parent?.header.username ?? 'd2l'),
    parent_header: parent ? parent.header : {},
    metadata,
    content,
    buffers: [],
  };
}

export function encode(msg: Message, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => JSON.stringify(p ?? {}));
  return [
    ...msg.identities,
    Buffer.from(DELIMITER),
    Buffer.from(signer.sign(parts)),
    ...parts.map((p) => Buffer.from(p)),
    ...msg.buffers,
  ];
}

/** Parses and verifies a multipart message. Throws WireError on a bad or missing signature or malformed frames. */
export function decode(frames: Buffer[], signer: Signer): Message {
  const idx = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (idx < 0) throw new WireError('message has no <IDS|MSG> delimiter');
  if (frames.length < idx + 6) throw new WireError(`message has ${frames.length - idx - 1} frames after the delimiter, expected at least 5`);
  const signature = frames[idx + 1].toString();
  const parts = frames.slice(idx + 2, idx + 6);
  if (signer.enabled && !signature) throw new WireError('unsigned message rejected (the connection has a key)');
  if (!signer.verify(signature, parts)) throw new WireError('invalid message signature');
  let parsed: any[];
  try {
    parsed = parts.map((p) => JSON.parse(p.toString('utf8')));
  } catch (e) {
    throw new WireError(`message frame is not JSON: ${(e as Error).message}`);
  }
  const [header, parent_header, metadata, content] = parsed;
  if (!header || typeof header.msg_type !== 'string') throw new WireError('message header has no msg_type');
  return {
    identities: frames.slice(0, idx),
    header,
    parent_header: parent_header ?? {},
    metadata: metadata ?? {},
    content: content ?? {},
    buffers: frames.slice(idx + 6),
  };
}
