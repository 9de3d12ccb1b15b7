import type { FileId } from '../shared/ids.ts';
import { SHARER_LINK_CAPS } from '../peer/links/link-policy.ts';
import { describeLinkBudget } from './fd-budget.ts';
import { startSharing, type ShareOptions, type Sharing } from './share.ts';
import { formatBytes, reportServerState, terminalQr } from './terminal.ts';

// The sharer's terminal: the join link, the six-letter code and a QR code, then one line per file whenever
// its count changes: how many of the peers linked to us have it complete, out of the swarm's members.

/** How often the per-file lines are recomputed (printed only when they changed). */
const LIVE_EVERY_MS = 2000;

export interface ShareConsole {
  stop(): void;
}

/** Asks the server for the swarm's code after every (re)connect: a restarted server hands out a new one. */
function printCodes(sharing: Sharing, log: (line: string) => void): () => void {
  let lastCode: string | null = null;
  const ask = async () => {
    const code = await sharing.peer.signaling.shareCode(sharing.swarmId);
    if (!code.ok || code.value === lastCode) return;
    log(`${lastCode === null ? 'Code' : 'New code (the server restarted)'}: ${code.value}   (type it on the page's start screen)`);
    lastCode = code.value;
  };
  if (sharing.peer.signaling.status === 'open') void ask();
  return sharing.peer.signaling.subscribe({ onWelcome: () => void ask() });
}

function fileLines(sharing: Sharing): Map<FileId, string> {
  const snapshot = sharing.peer.engine.snapshot();
  const swarm = snapshot.swarms.find((s) => s.swarmId === sharing.swarmId);
  const linked = snapshot.peers.filter((p) => p.linkState === 'connected' && p.swarms.includes(sharing.swarmId)).length;
  const members = swarm?.members.length ?? 0;
  const lines = new Map<FileId, string>();
  for (const f of sharing.files) {
    const state = swarm?.files.find((s) => s.fileId === f.fileId);
    const complete = state?.completeAt.length ?? 0;
    lines.set(f.fileId, `  ${f.manifest.name}  ${formatBytes(f.manifest.size)}  complete at ${complete} of ${linked} linked peers (${members} others in the swarm)`);
  }
  return lines;
}

export async function startShareConsole(sharing: Sharing, opts: { server: string; log: (line: string) => void }): Promise<ShareConsole> {
  const { log } = opts;
  log('');
  log(`Sharing ${sharing.files.length} file(s). Join link (open it on every laptop):`);
  log(`  ${sharing.link}`);
  log(await terminalQr(sharing.link));
  if (sharing.peer.linkBudget !== null) log(`Note: ${describeLinkBudget(sharing.peer.linkBudget, SHARER_LINK_CAPS.max)}.`);
  const stopServer = reportServerState(sharing.peer.signaling, opts.server, log);
  const stopCodes = printCodes(sharing, log);
  const printed = new Map<FileId, string>();
  const tick = () => {
    for (const [fileId, line] of fileLines(sharing)) {
      if (printed.get(fileId) === line) continue;
      printed.set(fileId, line);
      log(line);
    }
  };
  tick();
  const timer = setInterval(tick, LIVE_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      stopServer();
      stopCodes();
    },
  };
}

/** Hashes, joins and announces, then keeps the console going; what `share` and `npm start -- --share` run. */
export async function shareWithConsole(opts: ShareOptions & { log: (line: string) => void }): Promise<{ sharing: Sharing; stop(): void }> {
  const { log } = opts;
  log(`hashing ${opts.paths.join(', ')} (cached manifests are reused)…`);
  const sharing = await startSharing({
    ...opts,
    onHashProgress: (p) => {
      if (p.hashedBytes === p.totalBytes) log(`  ${p.cached ? 'known' : 'hashed'}: ${p.name} (${formatBytes(p.totalBytes)})`);
    },
    onBroken: (file, reason) => log(`stopped sharing ${file.manifest.name}: ${reason}. The other files are still shared.`),
  });
  const shareConsole = await startShareConsole(sharing, { server: opts.server, log });
  return {
    sharing,
    stop() {
      shareConsole.stop();
      sharing.close();
    },
  };
}
