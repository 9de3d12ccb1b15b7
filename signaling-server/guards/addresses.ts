import { createTokenBucket, type TokenBucket } from './rate-limit.ts';

// What each remote address may hold and spend, whatever number of sockets it opens or reopens: connections,
// frame bytes (what the server parses and hashes), and share-code guesses (a reconnect must not buy fresh ones). An address is the full IP: on a classroom LAN
// every laptop has its own (IPv6 included), and the server trusts no forwarding header.

export interface AddressLimits {
  maxConnectionsPerAddress: number;
  maxConnections: number;
  newConnectionsBurstPerAddress: number;
  newConnectionsPerSecondPerAddress: number;
  inboundBytesBurstPerAddress: number;
  inboundBytesPerSecondPerAddress: number;
  codeGuessBurstPerAddress: number;
  codeGuessesPerSecondPerAddress: number;
  wrongCodeBurst: number;
  wrongCodesPerSecond: number;
}

export type ConnectVerdict = 'ok' | 'address-full' | 'server-full';
/** 'ok': look the code up; then reportWrongCode() if it named no swarm. */
export type GuessVerdict = 'ok' | 'address-rate' | 'server-rate';

export interface Addresses {
  /** Before the WebSocket handshake: false when the address opens sockets faster than its allowance. */
  mayUpgrade(address: string): boolean;
  connect(address: string): ConnectVerdict;
  disconnect(address: string): void;
  /** Takes `bytes` from the address's allowance of frame bytes; false (nothing taken) when it has too few. */
  spendBytes(address: string, bytes: number): boolean;
  guess(address: string): GuessVerdict;
  reportWrongCode(): void;
  /** Forgets addresses with no socket whose allowances are whole again (called now and then). */
  sweep(): void;
}

interface Entry {
  connections: number;
  upgrades: TokenBucket;
  bytes: TokenBucket;
  guesses: TokenBucket;
}

/** `::ffff:10.0.0.5` and `10.0.0.5` are one address. */
export const addressKey = (remoteAddress: string | undefined): string =>
  (remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

export function createAddresses(limits: AddressLimits, now: () => number = Date.now): Addresses {
  const entries = new Map<string, Entry>();
  const wrongCodes = createTokenBucket(limits.wrongCodeBurst, limits.wrongCodesPerSecond, now);
  let connections = 0;
  const entry = (address: string): Entry => {
    let e = entries.get(address);
    if (!e) {
      e = {
        connections: 0,
        upgrades: createTokenBucket(limits.newConnectionsBurstPerAddress, limits.newConnectionsPerSecondPerAddress, now),
        bytes: createTokenBucket(limits.inboundBytesBurstPerAddress, limits.inboundBytesPerSecondPerAddress, now),
        guesses: createTokenBucket(limits.codeGuessBurstPerAddress, limits.codeGuessesPerSecondPerAddress, now),
      };
      entries.set(address, e);
    }
    return e;
  };
  const isWhole = (e: Entry) => e.upgrades.available() >= limits.newConnectionsBurstPerAddress
    && e.bytes.available() >= limits.inboundBytesBurstPerAddress && e.guesses.available() >= limits.codeGuessBurstPerAddress;
  return {
    mayUpgrade: (address) => entry(address).upgrades.take(1),
    connect(address) {
      if (connections >= limits.maxConnections) return 'server-full';
      const e = entry(address);
      if (e.connections >= limits.maxConnectionsPerAddress) return 'address-full';
      e.connections += 1;
      connections += 1;
      return 'ok';
    },
    disconnect(address) {
      const e = entries.get(address);
      if (!e || e.connections === 0) return;
      e.connections -= 1;
      connections -= 1;
    },
    spendBytes: (address, bytes) => entry(address).bytes.take(bytes),
    guess(address) {
      if (!entry(address).guesses.take(1)) return 'address-rate';
      return wrongCodes.available() >= 1 ? 'ok' : 'server-rate';
    },
    reportWrongCode: () => void wrongCodes.take(1),
    sweep() {
      for (const [address, e] of entries) if (e.connections === 0 && isWhole(e)) entries.delete(address);
    },
  };
}
