// The open-file limit bounds what a Node process may hold at once: the teacher's TURN relay sockets
// (signaling-server/relay/limits.ts) and a Node peer's WebRTC links (node-peer/fd-budget.ts) are both sized to it.
// Pure: each runtime reads /proc/self/limits itself.

/**
 * The soft "Max open files" of a /proc/<pid>/limits text (Node raises the soft limit to the hard one at start);
 * null when it says unlimited or is not such a text.
 */
export function parseOpenFileLimit(limitsText: string): number | null {
  const soft = /^Max open files\s+(\d+)\s/m.exec(limitsText)?.[1];
  if (soft === undefined) return null;
  const limit = Number(soft);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : null;
}
