import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newPeerId } from '../../shared/ids.ts';
import { issueTurnCredential } from '../../signaling-server/relay/credentials.ts';
import { createRelay, type Relay, type RelayOptions } from '../../signaling-server/relay/turn-server.ts';
import { allocate, tcpClient, udpClient, type PeerAddress, type StunClient, type TurnSession } from './turn-client.ts';

// Relays (in this process or alone in a child process) and TURN clients for the relay's tests; each
// thing made is closed by `cleanUp()` (call it in afterEach).

const cleanups: (() => unknown)[] = [];
export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export const secret = randomBytes(32);
export const members = new Set<string>();

export async function relay(overrides: Partial<RelayOptions> = {}): Promise<Relay> {
  const started = await createRelay({
    ips: ['127.0.0.1'], port: 0, stun: true, turn: true, secret, isMember: (peerId) => members.has(peerId), ...overrides,
  });
  cleanups.push(() => started.close());
  return started;
}

export interface RelayProcess {
  port: number;
  pid: number;
  /** The exit code or signal once the process ended, else null. */
  exit(): string | null;
}

/** The relay alone in a child process (turn-relay-process.ts): if anything a client sends throws, it exits. */
export async function relayProcess(): Promise<RelayProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'turn-relay-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, TURN_SECRET: secret.toString('hex') }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let exit: string | null = null;
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exit = `${code ?? signal}: ${output}`;
    resolve();
  }));
  cleanups.push(() => {
    child.stdin.end();
    return exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const ready = /READY (\d+)/.exec(chunk.toString());
      if (ready) resolve(Number(ready[1]));
    });
    void exited.then(() => reject(new Error(`relay process exited ${exit}`)));
  });
  return { port, pid: child.pid ?? 0, exit: () => exit };
}

export async function client(kind: 'udp' | 'tcp', port: number, localAddress = '127.0.0.1'): Promise<StunClient> {
  const made = kind === 'udp' ? await udpClient(port, '127.0.0.1', localAddress) : await tcpClient(port, '127.0.0.1', localAddress);
  cleanups.push(() => made.close());
  return made;
}

/** A fresh member's TURN REST credential. */
export function credential(): { username: string; credential: string } {
  const peerId = newPeerId();
  members.add(peerId);
  return issueTurnCredential(secret, peerId, Date.now(), 600);
}

export interface Allocated {
  client: StunClient;
  session: TurnSession;
  relayed: PeerAddress;
}

/** A client with an allocation, or the test fails. */
export async function allocated(kind: 'udp' | 'tcp', port: number, auth = credential(), localAddress?: string): Promise<Allocated> {
  const made = await client(kind, port, localAddress);
  const outcome = await allocate(made, auth);
  if (!outcome.ok) throw new Error(`allocation failed: ${outcome.errorCode}`);
  return { client: made, session: outcome.session, relayed: outcome.relayed };
}

export async function udpPeer(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  return socket;
}

export function onCleanUp(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}
