// The one subscription style of the peer's event sources (signaling client, link manager): subscribe any
// subset of named handlers, get back the function that removes them. Handlers run in subscription order.

type Handler = (...args: never[]) => void;

export interface Subscribers<H extends { [K in keyof H]: Handler }> {
  subscribe(handlers: Partial<H>): () => void;
  emit<K extends keyof H>(name: K, ...args: Parameters<H[K]>): void;
  clear(): void;
}

export function createSubscribers<H extends { [K in keyof H]: Handler }>(): Subscribers<H> {
  const subscribed = new Set<Partial<H>>();
  return {
    subscribe(handlers) {
      subscribed.add(handlers);
      return () => void subscribed.delete(handlers);
    },
    emit(name, ...args) {
      for (const handlers of [...subscribed]) (handlers[name] as ((...a: typeof args) => void) | undefined)?.(...args);
    },
    clear: () => subscribed.clear(),
  };
}
