import type { FileId, SwarmId } from '../../../shared/ids.ts';

// What this process knows of the swarms its own sockets are in: their announcements (in announce order) and
// share codes. It answers while Redis is down and is published again when Redis comes back.

interface MirroredSwarm {
  announcements: Map<FileId, { json: string; order: number }>;
  announcedBytes: number;
  code: string | null;
}

export interface RedisMirror {
  /** A cluster-wide order (announcements, joins): time first, so entries from several processes interleave sensibly. */
  nextOrder(): number;
  remember(swarmId: SwarmId, fileId: FileId, json: string, order: number): void;
  has(swarmId: SwarmId, fileId: FileId): boolean;
  size(swarmId: SwarmId): { count: number; bytes: number };
  announcements(swarmId: SwarmId): string[];
  entries(swarmId: SwarmId): Iterable<[FileId, { json: string; order: number }]>;
  codeOf(swarmId: SwarmId): string | null;
  rememberCode(swarmId: SwarmId, code: string): string;
  swarmOfCode(code: string): SwarmId | null;
  forget(swarmId: SwarmId): void;
}

export function createRedisMirror(): RedisMirror {
  const swarms = new Map<SwarmId, MirroredSwarm>();
  const swarmByCode = new Map<string, SwarmId>();
  let counter = 0;
  const swarm = (swarmId: SwarmId): MirroredSwarm => {
    let s = swarms.get(swarmId);
    if (!s) swarms.set(swarmId, (s = { announcements: new Map(), announcedBytes: 0, code: null }));
    return s;
  };
  return {
    nextOrder: () => Date.now() * 1000 + (counter = (counter + 1) % 1000),
    remember(swarmId, fileId, json, order) {
      const s = swarm(swarmId);
      if (s.announcements.has(fileId)) return;
      s.announcements.set(fileId, { json, order });
      s.announcedBytes += json.length;
    },
    has: (swarmId, fileId) => swarms.get(swarmId)?.announcements.has(fileId) ?? false,
    size: (swarmId) => ({ count: swarms.get(swarmId)?.announcements.size ?? 0, bytes: swarms.get(swarmId)?.announcedBytes ?? 0 }),
    announcements: (swarmId) =>
      [...swarms.get(swarmId)?.announcements.values() ?? []].sort((a, b) => a.order - b.order).map((a) => a.json),
    entries: (swarmId) => swarms.get(swarmId)?.announcements ?? [],
    codeOf: (swarmId) => swarms.get(swarmId)?.code ?? null,
    rememberCode(swarmId, code) {
      const s = swarm(swarmId);
      if (s.code !== null && s.code !== code) swarmByCode.delete(s.code);
      s.code = code;
      swarmByCode.set(code, swarmId);
      return code;
    },
    swarmOfCode: (code) => swarmByCode.get(code) ?? null,
    forget(swarmId) {
      const code = swarms.get(swarmId)?.code;
      if (code) swarmByCode.delete(code);
      swarms.delete(swarmId);
    },
  };
}
