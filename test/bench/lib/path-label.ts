import type { PairInfo } from '../pages/rtc-path.ts';
import type { PathInfo } from './report.ts';

// A candidate pair as a short label: type/protocol/address, `mdns` when the browser hid the address.

const candidateLabel = (c: PairInfo['local']): string =>
  `${c.type}/${c.protocol}/${c.address === '' ? 'mdns' : c.address}`;

export function pathInfo(pair: PairInfo | null | undefined): PathInfo | undefined {
  if (pair === null || pair === undefined) return undefined;
  return { local: candidateLabel(pair.local), remote: candidateLabel(pair.remote), rttMs: pair.rttMs };
}
