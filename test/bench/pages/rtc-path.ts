// Which ICE candidate pair a connection uses, read from getStats. `describePairs` is self-contained (no imports,
// no module helpers) so Node can run it in ANY page: `page.evaluate(describePairs, null)` reads every connected
// RTCPeerConnection the tab made (recorded by PC_RECORDER in lib/browser.ts), e.g. tabswarm's own page.

export interface CandidateInfo { type: string; protocol: string; address: string; port: number }

export interface PairInfo {
  state: string;
  nominated: boolean;
  selected: boolean;
  local: CandidateInfo;
  remote: CandidateInfo;
  rttMs: number | null;
  bytesSent: number;
}

/** Every candidate pair of each connection (null: every connected one the tab recorded); `selected` marks the one in use. */
export async function describePairs(connections: RTCPeerConnection[] | null): Promise<PairInfo[][]> {
  type Stat = Record<string, unknown> & { id: string; type: string };
  const recorded = (globalThis as { __benchPeerConnections?: RTCPeerConnection[] }).__benchPeerConnections ?? [];
  const pcs = connections ?? recorded.filter((pc) => pc.connectionState === 'connected');
  const candidate = (s: Stat | undefined): CandidateInfo => ({
    type: String(s?.['candidateType'] ?? '?'),
    protocol: String(s?.['protocol'] ?? '?'),
    address: String(s?.['address'] ?? s?.['ip'] ?? '?'),
    port: Number(s?.['port'] ?? 0),
  });
  const describe = async (pc: RTCPeerConnection): Promise<PairInfo[]> => {
    const byId = new Map<string, Stat>();
    (await pc.getStats()).forEach((s: Stat) => byId.set(s.id, s));
    const selectedId = [...byId.values()].find((s) => s.type === 'transport')?.['selectedCandidatePairId'];
    return [...byId.values()].filter((s) => s.type === 'candidate-pair').map((p) => ({
      state: String(p['state']),
      nominated: p['nominated'] === true,
      selected: p.id === selectedId,
      local: candidate(byId.get(String(p['localCandidateId']))),
      remote: candidate(byId.get(String(p['remoteCandidateId']))),
      rttMs: typeof p['currentRoundTripTime'] === 'number' ? Math.round(p['currentRoundTripTime'] * 10_000) / 10 : null,
      bytesSent: Number(p['bytesSent'] ?? 0),
    }));
  };
  return Promise.all(pcs.map(describe));
}

export const selectedOf = (pairs: PairInfo[] | undefined): PairInfo | null => pairs?.find((p) => p.selected) ?? null;
