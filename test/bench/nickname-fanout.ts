import { WebSocket } from 'ws';
import { newSwarmId } from '../../shared/ids.ts';
import { encodeFrame, type ServerFrame } from '../../shared/signaling.ts';
import { createSignalingServer } from '../../signaling-server/server.ts';

// `npx tsx test/bench/nickname-fanout.ts`: 255 members in one swarm, one sends 400 nickname changes in one burst
// (within the frame burst); prints the peer-updated frames the others receive and how long a newcomer waits for
// its socket, welcome and joined right after the burst. Figures in docs/limits.md.

const server = await createSignalingServer({ port: 0, host: '127.0.0.1', limits: {
  maxConnectionsPerAddress: 2000, newConnectionsBurstPerAddress: 2000, newConnectionsPerSecondPerAddress: 2000, maxConnections: 4000,
} });
const url = `ws://127.0.0.1:${server.port}/ws`;
let updates = 0;
function client(): Promise<{ ws: WebSocket; next: (t: string) => Promise<ServerFrame> }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const waiters: Array<[string, (f: ServerFrame) => void]> = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as ServerFrame;
      if (f.type === 'peer-updated') updates++;
      const i = waiters.findIndex(([t]) => t === f.type);
      if (i >= 0) waiters.splice(i, 1)[0]![1](f);
    });
    ws.on('open', () => resolve({ ws, next: (t) => new Promise((r) => waiters.push([t, r])) }));
  });
}
const swarmId = newSwarmId();
const members: Array<Awaited<ReturnType<typeof client>>> = [];
for (let i = 0; i < 255; i++) {
  const c = await client();
  c.ws.send(encodeFrame({ type: 'hello', nickname: `m${i}` })); await c.next('welcome');
  c.ws.send(encodeFrame({ type: 'join', swarmId })); await c.next('joined');
  members.push(c);
}
updates = 0;
const t0 = performance.now();
for (let i = 0; i < 400; i++) members[0]!.ws.send(encodeFrame({ type: 'nickname', nickname: `Ada ${i}` }));
const late = await client();
const h0 = performance.now();
late.ws.send(encodeFrame({ type: 'hello', nickname: 'late' })); await late.next('welcome');
const hello = performance.now() - h0;
late.ws.send(encodeFrame({ type: 'join', swarmId })); const joined = await late.next('joined');
const join = performance.now() - h0 - hello;
await new Promise((r) => setTimeout(r, 2500));
console.log(JSON.stringify({ peerUpdatedFrames: updates, helloMs: Math.round(hello), joinMs: Math.round(join), newcomerSees: joined.type === 'joined' ? joined.members.find((m) => m.nickname.startsWith('Ada'))?.nickname : null, burstToHelloMs: Math.round(h0 - t0) }));
process.exit(0);
