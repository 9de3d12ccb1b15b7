// Browser side: which ICE candidate pair a connection uses, read from getStats.

export interface CandidateInfo {
  type: string;
  protocol: string;
  address: string;
  port: number;
  networkType?: string;
}

export interface PairInfo {
  state: string;
  nominated: boolean;
  selected: boolean;
  local: CandidateInfo;
  remote: CandidateInfo;
  rttMs: number | null;
  bytesSent: number;
}

type Stat = Record<string, unknown> & { id: string; type: string };

function candidateInfo(stat: Stat | undefined): CandidateInfo {
  return {
    type: String(stat?.['candidateType'] ?? '?'),
    protocol: String(stat?.['protocol'] ?? '?'),
    address: String(stat?.['address'] ?? stat?.['ip'] ?? '?'),
    port: Number(stat?.['port'] ?? 0),
    ...(typeof stat?.['networkType'] === 'string' ? { networkType: stat['networkType'] } : {}),
  };
}

function pairInfo(pair: Stat, byId: Map<string, Stat>, selectedId: string | undefined): PairInfo {
  const rtt = pair['currentRoundTripTime'];
  return {
    state: String(pair['state']),
    nominated: pair['nominated'] === true,
    selected: pair.id === selectedId,
    local: candidateInfo(byId.get(String(pair['localCandidateId']))),
    remote: candidateInfo(byId.get(String(pair['remoteCandidateId']))),
    rttMs: typeof rtt === 'number' ? Math.round(rtt * 10_000) / 10 : null,
    bytesSent: Number(pair['bytesSent'] ?? 0),
  };
}

/** Every candidate pair of the connection; `selected` marks the one the transport sends on. */
export async function candidatePairs(pc: RTCPeerConnection): Promise<PairInfo[]> {
  const report = await pc.getStats();
  const byId = new Map<string, Stat>();
  report.forEach((stat: Stat) => byId.set(stat.id, stat));
  const transport = [...byId.values()].find((s) => s.type === 'transport');
  const selectedId = transport?.['selectedCandidatePairId'] as string | undefined;
  return [...byId.values()].filter((s) => s.type === 'candidate-pair').map((p) => pairInfo(p, byId, selectedId));
}

export async function selectedPair(pc: RTCPeerConnection): Promise<PairInfo | null> {
  return (await candidatePairs(pc)).find((p) => p.selected) ?? null;
}

/** The selected pair of every connection the tab made that is still connected (see PC_RECORDER in browser.ts). */
export async function recordedPaths(): Promise<PairInfo[]> {
  const made = (globalThis as { __benchPeerConnections?: RTCPeerConnection[] }).__benchPeerConnections ?? [];
  const live = made.filter((pc) => pc.connectionState === 'connected');
  const pairs = await Promise.all(live.map((pc) => selectedPair(pc)));
  return pairs.filter((p): p is PairInfo => p !== null);
}
