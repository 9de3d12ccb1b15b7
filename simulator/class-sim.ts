import { SHARER_LINK_CAPS, TAB_LINK_CAPS } from '../peer/links/link-policy.ts';
import {
  DEFAULT_BLOCK_LENGTH, DEFAULT_MAX_REQUESTS_PER_PEER, DEFAULT_REQUEST_TIMEOUT_MS, MAX_CONNECTIONS_PER_ADDRESS,
} from '../shared/limits.ts';
import { pieceCountFor, pieceLengthFor, type Manifest } from '../shared/manifest.ts';
import { seededRng } from '../shared/seeded-rng.ts';
import { bindingTerm, distributionBound, httpSeconds, type BoundTerms, type ClassLinks } from './bound.ts';
import { EventQueue } from './event-queue.ts';
import { airtimeBound, httpAirSeconds, Medium, WIRED, type MediumOptions } from './medium.ts';
import { Laptop } from './sim-laptop.ts';
import { SimNetwork } from './sim-network.ts';
import { SimLinks, type GraphFigures } from './sim-links.ts';

// One class in simulated time: laptop 0 (the teacher) seeds a file, the others join at once (or late, with
// churn) and fetch it over the links the link manager's policy builds (sim-links.ts); the figures are the
// bench's (test/bench/classroom-shaped.ts) plus the graph's.

export interface ClassOptions {
  /** Laptops including the teacher's. */
  laptops: number;
  fileBytes: number;
  /** Bytes per second, every laptop's uplink (the teacher's too unless seederUplink is set). */
  uplink: number;
  seederUplink?: number;
  /** Bytes per second; Infinity = uncapped, as in the bench. */
  downlink: number;
  /** One-way, seconds. */
  latencyS: number;
  /** Fraction of the leechers that leave mid-download; as many more join late. */
  churn: number;
  seed: number;
  seedOnce: boolean;
  /** The engine's defaults: ENGINE_DEFAULTS. */
  blockLength: number;
  windowPerPeer: number;
  /** The engine's ?piece= knob (pieceLengthFor's smallest piece); undefined: the default rule. */
  smallestPieceLength?: number;
  /** The picker's request timeout (ms); undefined: DEFAULT_REQUEST_TIMEOUT_MS, as the engine. */
  requestTimeoutMs?: number;
  /** Hostile leechers (claim every piece, serve none), among the laptops; their own finish is not counted. */
  hoarders?: number;
  /** What the links share: nothing (a wired lab, the default) or one Wi-Fi channel (medium.ts). */
  medium?: MediumOptions;
  /**
   * Students ask the teacher first and other students only for what it refuses; the teacher, knowing its uplink,
   * refuses only while that link is full (setPreferredSource, shared/link-load.ts). Default true; false: the
   * policy before it (every peer alike, the teacher refusing whenever its queue is long).
   */
  teacherFirst?: boolean;
  /** The teacher shares from a tab (a tab's link caps) or from `tabswarm share` (the sharer's; the default). */
  teacherLinks?: 'tab' | 'sharer';
  /**
   * Hostile students who hold links and idle: each opens every socket one address may (MAX_CONNECTIONS_PER_ADDRESS
   * peer ids), links to the teacher first, says it has nothing and asks for nothing. Not counted as laptops.
   */
  hoggers?: number;
}

export interface ClassResult {
  laptops: number;
  fileMiB: number;
  uplinkMbit: number;
  downlinkMbit: number | null;
  completionS: number | null;
  boundS: number;
  vsBound: number | null;
  binding: keyof BoundTerms | 'airtime';
  seederSentPerFile: number;
  httpS: number;
  vsHttp: number | null;
  /** Each staying leecher's finishing time (s), sorted: the curve the plot draws. */
  finishS: number[];
  left: number;
  joinedLate: number;
  hoarders: number;
  seedOnce: boolean;
  teacherFirst: boolean;
  controlMessages: number;
  /** The link graph at the end (links that are up). */
  graph: GraphFigures;
  hoggers: number;
  /** Idle links closed for a waiting mate (link-policy.ts give-way). */
  gaveWay: number;
  medium: MediumOptions['kind'];
  /** Wi-Fi only: the teacher's link, the channel's airtime, and the air's bytes (each crossing) per file. */
  teacher?: MediumOptions['teacher'];
  accessPoints?: number;
  airtimeMbit?: number;
  airBytesPerFile?: number;
}

/** The engine's (peer/engine/swarm-engine.ts DEFAULT_PARAMS reads the same constants). */
export const ENGINE_DEFAULTS = { blockLength: DEFAULT_BLOCK_LENGTH, windowPerPeer: DEFAULT_MAX_REQUESTS_PER_PEER } as const;

const hex = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0');

function manifestOf(fileBytes: number, smallest?: number): Manifest {
  const pieceLength = pieceLengthFor(fileBytes, smallest);
  const pieceHashes = Array.from({ length: pieceCountFor(fileBytes, pieceLength) }, (_, i) => hex(i, 32));
  return { name: 'lab-files.zip', size: fileBytes, mimeType: 'application/zip', pieceLength, pieceHashes };
}

export function linksOf(o: ClassOptions, leechers: number): ClassLinks {
  return {
    fileBytes: o.fileBytes, seederUp: o.seederUplink ?? o.uplink,
    leecherUps: new Array<number>(leechers).fill(o.uplink), leecherDowns: new Array<number>(leechers).fill(o.downlink),
  };
}

export function simulateClass(o: ClassOptions): ClassResult {
  const rng = seededRng(o.seed);
  const events = new EventQueue();
  const medium = new Medium(o.medium ?? WIRED, hex(1, 16));
  const net = new SimNetwork(events, o.latencyS, medium);
  const links = new SimLinks(events, net, rng);
  const teacherCaps = o.teacherLinks === 'tab' ? TAB_LINK_CAPS : SHARER_LINK_CAPS;
  const manifest = manifestOf(o.fileBytes, o.smallestPieceLength);
  const route = { swarmId: hex(1, 16), fileId: hex(2, 32) };
  const hoarders = o.hoarders ?? 0;
  const laptopConfig = (id: string) => ({
    id, manifest, route, seeding: false, blockLength: o.blockLength, windowPerPeer: o.windowPerPeer,
    requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, seedOnce: o.seedOnce, rng,
  });
  const teacherFirst = o.teacherFirst ?? true;
  const make = (i: number): Laptop => new Laptop(net, {
    ...laptopConfig(hex(i + 1, 16)), seeding: i === 0, hoarder: i > 0 && i <= hoarders,
    ...(teacherFirst ? (i === 0 ? { linkCapacity: o.seederUplink ?? o.uplink } : { preferred: hex(1, 16) }) : {}),
  });
  const rates = (i: number) => ({ up: i === 0 ? o.seederUplink ?? o.uplink : o.uplink, down: o.downlink });
  const churned = Math.floor((o.laptops - 1) * o.churn);
  const present = o.laptops - churned; // late joiners replace the leavers in number
  const bound = classBound(o);
  const all: Laptop[] = [];
  for (let i = 0; i < o.laptops; i++) {
    const laptop = make(i);
    medium.place(laptop.id, i);
    all.push(laptop);
    const joinAt = i < present ? 0 : rng() * bound;
    events.at(joinAt, () => {
      net.add(laptop, rates(i));
      links.join(laptop, i === 0 ? teacherCaps : TAB_LINK_CAPS, [], teacherFirst ? all[0]!.id : undefined);
    });
  }
  joinHoggers(o, { net, links, rng, make: (id) => new Laptop(net, { ...laptopConfig(id), idler: true }), teacher: all[0]!.id, rates: rates(1) });
  const leavers = shuffled(all.slice(1 + hoarders, present), rng).slice(0, churned);
  for (const laptop of leavers) events.at(rng() * bound * 0.8, () => links.leave(laptop));
  const ticker = (): void => {
    for (const laptop of net.laptops.values()) if (!laptop.gone) laptop.tick();
    events.after(1, ticker);
  };
  events.after(1, ticker);
  const stayers = all.slice(1 + hoarders).filter((l) => !leavers.includes(l));
  events.runUntil(() => stayers.every((l) => l.completedAt !== null), bound * 50 + 60);
  const churn = { left: leavers.length, joinedLate: all.length - present, hoarders };
  const result = {
    ...resultOf(o, all[0]!, stayers, churn, net.controlMessages), graph: links.figures(all[0]!.id), hoggers: o.hoggers ?? 0,
    gaveWay: links.gaveWay,
  };
  return o.medium?.kind !== 'wifi' ? result : {
    ...result, teacher: o.medium.teacher, accessPoints: o.medium.accessPoints ?? 1, airtimeMbit: round((o.medium.airtime * 8) / 1e6, 2),
    airBytesPerFile: round(medium.airBytes / o.fileBytes, 3),
  };
}

/** The link bound (bound.ts), or the medium's airtime bound where that is longer. */
function classBound(o: ClassOptions): number {
  const links = linksOf(o, o.laptops - 1);
  return Math.max(distributionBound(links), airtimeBound(links, o.medium ?? WIRED));
}

interface HoggerParts {
  net: SimNetwork;
  links: SimLinks;
  rng: () => number;
  make: (id: string) => Laptop;
  teacher: string;
  rates: { up: number; down: number };
}

/** Every hostile student's sockets (one address) join at once with the class, each seeking a tab's full 12 links, the teacher first. */
function joinHoggers(o: ClassOptions, parts: HoggerParts): void {
  const caps = { ...TAB_LINK_CAPS, wanted: TAB_LINK_CAPS.max };
  for (let h = 0; h < (o.hoggers ?? 0); h++) {
    for (let s = 0; s < MAX_CONNECTIONS_PER_ADDRESS; s++) {
      const laptop = parts.make(hex(0xf000 + h * MAX_CONNECTIONS_PER_ADDRESS + s, 16));
      parts.net.add(laptop, parts.rates);
      parts.links.join(laptop, caps, [parts.teacher], undefined, `hogger ${h}`); // one laptop: one address
    }
  }
}

interface Churn { left: number; joinedLate: number; hoarders: number }

function resultOf(o: ClassOptions, seeder: Laptop, stayers: Laptop[], churn: Churn, controlMessages: number): Omit<ClassResult, 'graph' | 'hoggers' | 'gaveWay'> {
  const links = linksOf(o, o.laptops - 1);
  const medium = o.medium ?? WIRED;
  const boundS = classBound(o);
  const httpS = Math.max(httpSeconds(links), httpAirSeconds(links, medium));
  const finishS = stayers.map((l) => l.completedAt ?? Infinity).sort((a, b) => a - b);
  const done = finishS.every(Number.isFinite);
  const completionS = done ? round(Math.max(...finishS), 3) : null;
  return {
    laptops: o.laptops, fileMiB: round(o.fileBytes / 2 ** 20, 2), uplinkMbit: round((o.uplink * 8) / 1e6, 2),
    downlinkMbit: Number.isFinite(o.downlink) ? round((o.downlink * 8) / 1e6, 2) : null,
    completionS, boundS: round(boundS, 3), vsBound: completionS === null ? null : round(completionS / boundS, 3),
    binding: airtimeBound(links, medium) > distributionBound(links) ? 'airtime' : bindingTerm(links), seederSentPerFile: round(seeder.sentBytes / o.fileBytes, 3),
    httpS: round(httpS, 3), vsHttp: completionS === null ? null : round(completionS / httpS, 3),
    finishS: finishS.map((t) => round(t, 2)), ...churn, seedOnce: o.seedOnce, teacherFirst: o.teacherFirst ?? true, controlMessages, medium: medium.kind,
  };
}

function shuffled<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
