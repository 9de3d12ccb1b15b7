import { decode } from '../../shared/codec.ts';
import { CLIENT_FRAME_TYPES, parseClientFrame, SIGNAL_ERROR_CODES } from '../../shared/signaling.ts';
import { illTyped, nextFrame, seededRng, type Rng } from './frames.ts';
import { createRoutingFuzz } from './routing-path.ts';
import { fuzzServer } from './server-frames.ts';
import { nextSignalingText } from './signaling-frames.ts';

// `npm run fuzz [frames] [seed]`: random and mutated frames into the wire decoder and the routing path
// after it, then signaling text frames into the server's parser. Prints one JSON report; exits 1 on
// any uncaught exception or ill-typed result. Not part of `npm test`.

const WIRE_FRAMES = Number(process.argv[2] ?? 1_000_000);
const SIGNALING_FRAMES = Math.max(100_000, Math.round(WIRE_FRAMES / 10));
/** Through the real server over sockets: at least 100k, as issue 6 asks. */
const SERVER_FRAMES = Math.max(100_000, Math.round(WIRE_FRAMES / 10));
const SEED = Number(process.argv[3] ?? Date.now() % 0x7fff_ffff);

type Counts = Record<string, number>;
const bump = (counts: Counts, key: string): void => void (counts[key] = (counts[key] ?? 0) + 1);
const failures: string[] = [];
const noteFailure = (what: string): void => void (failures.length < 20 && failures.push(what));

function fuzzWire(rng: Rng) {
  const routing = createRoutingFuzz(rng);
  const decoded: Counts = {};
  const routed: Counts = {};
  const uncaught = { decode: 0, routing: 0 };
  let illTypedCount = 0;
  for (let i = 0; i < WIRE_FRAMES; i++) {
    if (i % 64 === 0) routing.tick();
    const frame = nextFrame(rng, routing.pool);
    let result: ReturnType<typeof decode>;
    try {
      result = decode(frame);
    } catch (error) {
      uncaught.decode++;
      noteFailure(`decode threw on frame ${i}: ${String(error)}`);
      continue;
    }
    const problem = illTyped(frame, result);
    if (problem) (illTypedCount++, noteFailure(`frame ${i}: ${problem}`));
    bump(decoded, result.ok ? 'ok' : result.error.code);
    if (!result.ok) continue;
    try {
      bump(routed, routing.handle(result.value, routing.pool.peerIds[i % routing.pool.peerIds.length]!));
    } catch (error) {
      uncaught.routing++;
      noteFailure(`routing threw on frame ${i} (${result.value.type}): ${String(error)}`);
    }
  }
  return { frames: WIRE_FRAMES, decoded, routed, illTyped: illTypedCount, uncaught };
}

const SIGNAL_CODES: ReadonlySet<string> = new Set(SIGNAL_ERROR_CODES);
const FRAME_TYPES: ReadonlySet<string> = new Set(CLIENT_FRAME_TYPES);

// The server's parser alone (fast, every frame); fuzzServer (server-frames.ts) then sends SERVER_FRAMES
// through a real server's sockets and handlers (rooms, relay, broadcast).
function fuzzSignaling(rng: Rng) {
  const parsed: Counts = {};
  let uncaught = 0;
  let illTypedCount = 0;
  for (let i = 0; i < SIGNALING_FRAMES; i++) {
    const text = nextSignalingText(rng);
    try {
      const result = parseClientFrame(text);
      const wellTyped = result.ok ? FRAME_TYPES.has(result.value.type) : SIGNAL_CODES.has(result.error.code);
      if (!wellTyped) (illTypedCount++, noteFailure(`signaling frame ${i}: ill-typed result`));
      bump(parsed, result.ok ? `ok:${result.value.type}` : result.error.code);
    } catch (error) {
      uncaught++;
      noteFailure(`parseClientFrame threw on frame ${i}: ${String(error)}`);
    }
  }
  return { frames: SIGNALING_FRAMES, parsed, illTyped: illTypedCount, uncaught };
}

const started = performance.now();
const wire = fuzzWire(seededRng(SEED));
const wireMs = Math.round(performance.now() - started);
const signaling = fuzzSignaling(seededRng(SEED + 1));
const signalingMs = Math.round(performance.now() - started) - wireMs;
const server = await fuzzServer(seededRng(SEED + 2), SERVER_FRAMES);
const serverMs = Math.round(performance.now() - started) - wireMs - signalingMs;
const serverFaults = server.uncaught + (server.answers['INVALID-SERVER-FRAME'] ?? 0) + (server.healthyAfter ? 0 : 1);
const uncaughtExceptions = wire.uncaught.decode + wire.uncaught.routing + signaling.uncaught + serverFaults;
const report = {
  seed: SEED, wire: { ...wire, ms: wireMs }, signaling: { ...signaling, ms: signalingMs }, server: { ...server, ms: serverMs },
  uncaughtExceptions, illTyped: wire.illTyped + signaling.illTyped, failures,
};
console.log(JSON.stringify(report, null, 2));
process.exitCode = uncaughtExceptions + report.illTyped === 0 ? 0 : 1;
