import { readFileSync } from 'node:fs';
import * as L from '../../shared/limits.ts';
import { parseOpenFileLimit } from '../../shared/open-files.ts';

// The relay's caps (reasons in shared/limits.ts), with the totals lowered to fit the process's open-file
// limit: every allocation holds a UDP socket and every TCP client a connection, so a full relay must
// still leave descriptors for the page, the signaling sockets and the tabs' files.

export interface RelayLimits {
  maxAllocationsPerPeer: number;
  maxAllocationsPerAddress: number;
  maxAllocations: number;
  maxPeersPerAllocation: number;
  maxTcpConnectionsPerAddress: number;
  maxTcpConnections: number;
  maxTcpBufferedBytes: number;
  tcpIdleMs: number;
}

/** This process's open-file limit, or null where /proc is absent. */
export function openFileLimit(): number | null {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

export function relayLimits(overrides: Partial<RelayLimits> = {}, fileLimit = openFileLimit()): RelayLimits {
  let maxAllocations = L.MAX_TURN_ALLOCATIONS;
  let maxTcpConnections = L.MAX_TURN_TCP_CONNECTIONS;
  const budget = fileLimit === null ? Infinity : Math.floor(fileLimit * L.TURN_FD_SHARE);
  if (maxAllocations + maxTcpConnections > budget) {
    const scale = budget / (maxAllocations + maxTcpConnections);
    maxAllocations = Math.max(1, Math.floor(maxAllocations * scale));
    maxTcpConnections = Math.max(1, Math.floor(maxTcpConnections * scale));
  }
  return {
    maxAllocationsPerPeer: L.MAX_TURN_ALLOCATIONS_PER_PEER,
    maxAllocationsPerAddress: L.MAX_TURN_ALLOCATIONS_PER_ADDRESS,
    maxAllocations,
    maxPeersPerAllocation: L.MAX_TURN_PEERS_PER_ALLOCATION,
    maxTcpConnectionsPerAddress: L.MAX_TURN_TCP_CONNECTIONS_PER_ADDRESS,
    maxTcpConnections,
    maxTcpBufferedBytes: L.MAX_TURN_TCP_BUFFERED_BYTES,
    tcpIdleMs: L.TURN_TCP_IDLE_MS,
    ...overrides,
  };
}
