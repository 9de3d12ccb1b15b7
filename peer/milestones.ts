// A tab's way to its first piece as User Timing marks (`tabswarm:<milestone>`, ms since navigation start):
// DevTools' Performance panel shows them, and the first-piece benchmark reads them to say where time goes.

export type Milestone =
  | 'script' | 'profile-open' | 'signaling-open' | 'welcome' | 'joined' | 'route' | 'link-open' | 'first-request'
  | 'first-block' | 'first-piece';

const reached = new Set<Milestone>();

/** Marks the first time a milestone is reached; later calls are free. */
export function milestone(name: Milestone): void {
  if (reached.has(name)) return;
  reached.add(name);
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(`tabswarm:${name}`);
}
