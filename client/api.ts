import type { FileId, SwarmId } from '../shared/ids.ts';
import { createStreamingSha256 } from '../shared/sha256.ts';
import type { SwarmEngine } from '../peer/engine/swarm-engine.ts';
import { parseJoinTarget, swarmLink } from '../peer/signaling/join-target.ts';
import type { SignalingClient } from '../peer/signaling/signaling-client.ts';
import type { TabswarmSnapshot } from '../peer/snapshot-types.ts';

// window.tabswarm: the automation API for students (DevTools) and tests. Documented in docs/api.md.

export interface TabswarmApi {
  createSwarm(): Promise<{ swarmId: SwarmId; link: string }>;
  /** A join link (…#swarm=<id>), a bare swarm id, or a 6-letter share code. */
  joinSwarm(linkOrId: string): Promise<SwarmId>;
  seed(swarmId: SwarmId, files: Blob[]): Promise<FileId[]>;
  snapshot(): TabswarmSnapshot;
  /** SHA-256 (hex) of the stored bytes of a complete file, streamed piece by piece. */
  sha256(fileId: FileId): Promise<string>;
  /** Downloads the complete file through the browser (a Blob of stored piece Blobs). */
  save(fileId: FileId): Promise<void>;
  setNickname(name: string): void;
  onChange(cb: (snapshot: TabswarmSnapshot) => void): () => void;
}

/** The swarm link of a swarm, on this page's own address. */
export const joinLinkFor = (swarmId: SwarmId, loc: { origin: string; pathname: string } = location): string =>
  swarmLink(loc, swarmId);

async function streamedSha256(blob: Blob): Promise<string> {
  const hasher = await createStreamingSha256();
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return hasher.digestHex();
    hasher.update(value);
  }
}

/** Lets the browser save a Blob under a file name; the object URL is revoked once the download started. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name, rel: 'noopener' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function createTabswarmApi(engine: SwarmEngine, signaling: Pick<SignalingClient, 'resolveCode'>): TabswarmApi {
  const nameOf = (fileId: FileId): string => {
    for (const s of engine.snapshot().swarms) for (const f of s.files) if (f.fileId === fileId) return f.name;
    return 'download';
  };
  return {
    async createSwarm() {
      const swarmId = await engine.createSwarm();
      return { swarmId, link: joinLinkFor(swarmId) };
    },
    async joinSwarm(linkOrId) {
      const swarmId = await parseJoinTarget(linkOrId, signaling);
      if (swarmId === null) throw new Error('not a swarm link, swarm id or share code');
      await engine.joinSwarm(swarmId);
      return swarmId;
    },
    seed: (swarmId, files) => engine.seed(swarmId, [...files]),
    snapshot: () => engine.snapshot(),
    sha256: async (fileId) => streamedSha256(await engine.fileBlob(fileId)),
    save: async (fileId) => saveBlob(await engine.fileBlob(fileId), nameOf(fileId)),
    setNickname: (name) => engine.setNickname(name),
    onChange: (cb) => engine.onChange(() => cb(engine.snapshot())),
  };
}

declare global {
  interface Window {
    tabswarm?: TabswarmApi;
  }
}
