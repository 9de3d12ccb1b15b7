import type { Page } from 'playwright-core';
import type { PairInfo } from '../pages/rtc-path.ts';

// Node side: connects the raw-channel page of two tabs, carrying SDP through page.evaluate (no signaling server).
// `keepCandidate` filters the `a=candidate` lines each side sees, the knob a signaling relay also has.

export type CandidateFilter = (candidateLine: string) => boolean;

export const ALL_CANDIDATES: CandidateFilter = () => true;
/** ICE-TCP candidates (`tcptype`) carry SCTP over TCP: head-of-line blocking under a loaded loop. */
export const UDP_ONLY: CandidateFilter = (line) => / udp /i.test(line);

export function filterSdp(sdp: string, keep: CandidateFilter): string {
  return sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:') || keep(line)).join('\r\n');
}

export const sdpCandidates = (sdp: string): string[] =>
  sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:')).map((l) => l.slice('a='.length));

export interface Connected { offerCandidates: string[]; answerCandidates: string[]; path: PairInfo | null }

type RawPage = typeof import('../pages/raw-channel.ts');
// Functions given to page.evaluate run in the tab: they may only use the tab's globals (`benchPage`).
declare global { var benchPage: unknown }

export async function connectRawTabs(
  sender: Page, receiver: Page, keep: CandidateFilter = ALL_CANDIDATES, config: RTCConfiguration = { iceServers: [] },
): Promise<Connected> {
  const offerSdp = await sender.evaluate((c) => (benchPage as RawPage).offer(c), config);
  const answerSdp = await receiver.evaluate(([s, c]) => (benchPage as RawPage).answer(s, c), [filterSdp(offerSdp, keep), config] as const);
  await sender.evaluate((s) => (benchPage as RawPage).accept(s), filterSdp(answerSdp, keep));
  const opened = await Promise.all([sender, receiver].map((p) => p.evaluate(() => (benchPage as RawPage).waitOpen(10_000))));
  if (!opened.every(Boolean)) throw new Error('raw channel: data channel did not open');
  return {
    offerCandidates: sdpCandidates(offerSdp),
    answerCandidates: sdpCandidates(answerSdp),
    path: await sender.evaluate(() => (benchPage as RawPage).path()),
  };
}

export async function closeRawTabs(pages: Page[]): Promise<void> {
  await Promise.all(pages.map((p) => p.evaluate(() => (benchPage as RawPage).close())));
}
