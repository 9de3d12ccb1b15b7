import type { LinkPath } from '../contracts.ts';

// The selected ICE candidate pair of a connection, read from getStats (W3C webrtc-stats).

const UNKNOWN_PATH: LinkPath = { relayed: null, rttMs: null, localCandidateType: null, remoteCandidateType: null };

type Stat = Record<string, unknown> & { id: string; type: string };

function selectedPair(stats: Map<string, Stat>): Stat | undefined {
  for (const s of stats.values()) {
    if (s.type === 'transport' && typeof s['selectedCandidatePairId'] === 'string') {
      return stats.get(s['selectedCandidatePairId']);
    }
  }
  // Browsers without transport stats mark the pair instead.
  return [...stats.values()].find((s) => s.type === 'candidate-pair' && s['state'] === 'succeeded' && s['nominated'] === true);
}

const candidateType = (stats: Map<string, Stat>, id: unknown): string | null => {
  const c = typeof id === 'string' ? stats.get(id) : undefined;
  return typeof c?.['candidateType'] === 'string' ? c['candidateType'] : null;
};

export async function readSelectedPath(pc: RTCPeerConnection): Promise<LinkPath> {
  let report: RTCStatsReport;
  try {
    report = await pc.getStats();
  } catch {
    return UNKNOWN_PATH;
  }
  const stats = new Map<string, Stat>();
  report.forEach((s: Stat) => stats.set(s.id, s));
  const pair = selectedPair(stats);
  if (pair === undefined) return UNKNOWN_PATH;
  const localCandidateType = candidateType(stats, pair['localCandidateId']);
  const remoteCandidateType = candidateType(stats, pair['remoteCandidateId']);
  const rtt = pair['currentRoundTripTime'];
  return {
    relayed: localCandidateType === null ? null : localCandidateType === 'relay' || remoteCandidateType === 'relay',
    rttMs: typeof rtt === 'number' ? rtt * 1000 : null,
    localCandidateType,
    remoteCandidateType,
  };
}
