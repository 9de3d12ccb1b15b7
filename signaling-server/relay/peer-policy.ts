import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { err, ok, type Result } from '../../shared/result.ts';

// Where the relay may send. Into the networks it serves (the subnets of the addresses it listens on, or
// the teacher's TURN_NETWORKS), never to loopback, link-local, unspecified, multicast or broadcast
// addresses; and to this machine's own addresses only at ports the relay itself relays for: that is the
// path between two laptops that reach only the teacher, and nothing else on the teacher's laptop.

export type PeerRefusal = 'bad-address' | 'bad-port' | 'special-address' | 'outside-served-networks' | 'own-port';

export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface PeerPolicy {
  /** For a permission: the address in canonical form (IPv4-mapped IPv6 as IPv4), or why it is refused. */
  permits(address: string): Result<string, PeerRefusal>;
  /** For each packet to a permitted, canonical address: null when the relay may send to this port. */
  reaches(address: string, port: number): PeerRefusal | null;
  /** The served networks, for the start banner. */
  networks: readonly Network[];
}

/** Never a peer, whatever the served networks say. */
const SPECIAL_NETWORKS: readonly Network[] = [
  { address: '0.0.0.0', prefix: 8, family: 'ipv4' }, // "this network", unspecified
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' }, // loopback
  { address: '169.254.0.0', prefix: 16, family: 'ipv4' }, // link-local
  { address: '224.0.0.0', prefix: 4, family: 'ipv4' }, // multicast
  { address: '240.0.0.0', prefix: 4, family: 'ipv4' }, // reserved, and the 255.255.255.255 broadcast
  { address: '::', prefix: 128, family: 'ipv6' }, // unspecified
  { address: '::1', prefix: 128, family: 'ipv6' }, // loopback
  { address: 'fe80::', prefix: 10, family: 'ipv6' }, // link-local
  { address: 'ff00::', prefix: 8, family: 'ipv6' }, // multicast
];

/** Canonical text of an IP address (IPv4-mapped IPv6 becomes IPv4), or null when it is none. */
export function canonicalIp(text: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const version = isIP(text);
  if (version === 4) return { address: text, family: 'ipv4' };
  if (version !== 6 || text.includes('%')) return null;
  const compressed = new URL(`http://[${text}]/`).hostname.slice(1, -1).toLowerCase();
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return { address: compressed, family: 'ipv6' };
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
}

/** `10.0.0.0/8, fd00::/64` → networks; the error names the first entry that is no network. */
export function parseNetworks(text: string): Result<Network[], string> {
  const networks: Network[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    const ip = match ? canonicalIp(match[1]!) : null;
    const prefix = Number(match?.[2]);
    if (!ip || prefix > (ip.family === 'ipv4' ? 32 : 128)) return err(`not a network (address/prefix): ${entry}`);
    networks.push({ address: ip.address, prefix, family: ip.family });
  }
  return ok(networks);
}

export const networkText = (network: Network): string => {
  const base = network.family === 'ipv4' ? intToIpv4(ipv4Base(network)) : network.address;
  return `${base}/${network.prefix}`;
};

/** The subnets of the interfaces that carry the listening addresses. */
export function subnetsOf(listening: readonly string[]): Network[] {
  const wanted = new Set(listening.map((ip) => canonicalIp(ip)?.address));
  return Object.values(networkInterfaces()).flat().flatMap((entry) => {
    const ip = entry ? canonicalIp(entry.address) : null;
    if (!entry?.cidr || !ip || !wanted.has(ip.address)) return [];
    const parsed = parseNetworks(entry.cidr);
    return parsed.ok ? parsed.value : [];
  });
}

const ipv4ToInt = (address: string): number => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

const ipv4Base = (network: Network): number => {
  const size = 2 ** (32 - network.prefix);
  return ipv4ToInt(network.address) - (ipv4ToInt(network.address) % size);
};

/** The network and broadcast addresses of an IPv4 subnet, which are no host. */
function edgesOf(network: Network): string[] {
  if (network.family !== 'ipv4' || network.prefix > 30) return [];
  const base = ipv4Base(network);
  return [intToIpv4(base), intToIpv4(base + 2 ** (32 - network.prefix) - 1)];
}

/** Every address of this machine, and the listening ones. */
function ownAddresses(listening: readonly string[]): Set<string> {
  const all = [...listening, ...Object.values(networkInterfaces()).flat().map((entry) => entry?.address ?? '')];
  return new Set(all.flatMap((text) => canonicalIp(text)?.address ?? []));
}

export interface PeerPolicyOptions {
  listening: readonly string[];
  /** null: the subnets of the listening addresses. */
  networks: readonly Network[] | null;
  /** Whether `address:port` is a relayed address of a live allocation of this relay. */
  isRelayed(address: string, port: number): boolean;
}

export function createPeerPolicy(opts: PeerPolicyOptions): PeerPolicy {
  const special = new BlockList();
  for (const n of SPECIAL_NETWORKS) special.addSubnet(n.address, n.prefix, n.family);
  // A loopback or link-local subnet serves nothing (its relayed ports are reachable anyway).
  const networks = (opts.networks ?? subnetsOf(opts.listening)).filter((n) => !special.check(n.address, n.family));
  const served = new BlockList();
  for (const n of networks) {
    served.addSubnet(n.address, n.prefix, n.family);
    for (const edge of edgesOf(n)) special.addAddress(edge, 'ipv4');
  }
  const own = ownAddresses(opts.listening);
  const listening = new Set(opts.listening.flatMap((text) => canonicalIp(text)?.address ?? []));
  const permits = (text: string): Result<string, PeerRefusal> => {
    const ip = canonicalIp(text);
    if (!ip) return err('bad-address');
    // Where other allocations' relayed ports are (even on loopback): reaches() lets only those through.
    if (listening.has(ip.address)) return ok(ip.address);
    if (special.check(ip.address, ip.family)) return err('special-address');
    return served.check(ip.address, ip.family) ? ok(ip.address) : err('outside-served-networks');
  };
  const reaches = (address: string, port: number): PeerRefusal | null => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return 'bad-port';
    return own.has(address) && !opts.isRelayed(address, port) ? 'own-port' : null;
  };
  return { permits, reaches, networks };
}
