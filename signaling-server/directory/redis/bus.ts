import { Redis } from 'ioredis';
import type { FileId, PeerId, SwarmId } from '../../../shared/ids.ts';
import type { Logger } from '../../log.ts';
import { DEFAULT_PREFIX } from './keys.ts';

// The two Redis connections of one process: commands (which fail fast while Redis is down, so the process
// carries on from memory) and pub/sub (which re-subscribes by itself after a reconnect).

export interface BusMessage {
  o: string; // origin process: it delivered to its own sockets already
  s: SwarmId[]; // the local members of these swarms get `t`, once each
  e: PeerId | null; // except this peer
  t: string; // the pre-encoded frame; '' when the message only carries `ann`
  to?: PeerId; // a single peer instead of swarms (a relayed signal)
  ann?: { fileId: FileId; json: string; order: number }; // an announcement for every process's mirror
}

export interface RedisBus {
  cmd: Redis;
  readonly up: boolean;
  /** Runs a command; undefined when Redis is down or the command failed (the outage is logged once). */
  run<T>(op: (redis: Redis) => Promise<T>): Promise<T | undefined>;
  publish(channel: string, message: BusMessage): void;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): void;
  close(): void;
}

export interface RedisBusOptions {
  url: string;
  logger: Logger;
  onMessage(message: BusMessage): void;
  /** Redis is reachable again (or for the first time): publish this process's state. */
  onReady(): Promise<void>;
}

/** Reconnect backoff: 0.2 s doubling to 5 s. */
const retryStrategy = (times: number): number => Math.min(100 * 2 ** Math.min(times, 6), 5_000);

export function createRedisBus(opts: RedisBusOptions): RedisBus {
  const common = { maxRetriesPerRequest: 1, retryStrategy, connectTimeout: 2_000 };
  const cmd = new Redis(opts.url, { ...common, enableOfflineQueue: false });
  const sub = new Redis(opts.url, common);
  let up = false;
  let closed = false;
  const down = (error: unknown): void => {
    if (up) opts.logger.warn('redis unreachable: serving this process\'s sockets from memory, reconnecting', { error: String(error) });
    up = false;
  };
  cmd.on('error', down);
  sub.on('error', (error: Error) => opts.logger.warn('redis subscriber', { error: error.message }));
  cmd.on('close', () => down('connection closed'));
  cmd.on('ready', () => {
    opts.logger.info('redis connected');
    up = true;
    opts.onReady().catch(down);
  });
  sub.on('message', (_channel: string, raw: string) => {
    try {
      opts.onMessage(JSON.parse(raw) as BusMessage);
    } catch (error) {
      opts.logger.warn('redis: a bus message failed', { error: String(error) });
    }
  });
  return {
    cmd,
    get up() {
      return up && !closed;
    },
    async run(op) {
      if (!up || closed) return undefined;
      try {
        return await op(cmd);
      } catch (error) {
        down(error);
        return undefined;
      }
    },
    publish(channel, message) {
      if (up && !closed) cmd.publish(channel, JSON.stringify(message)).catch(down);
    },
    // The subscriber queues while disconnected and subscribes again by itself after a reconnect.
    subscribe: (channel) => sub.subscribe(channel).then(() => {}, () => {}),
    unsubscribe: (channel) => void sub.unsubscribe(channel).catch(() => {}),
    close() {
      closed = true;
      cmd.disconnect();
      sub.disconnect();
    },
  };
}

/**
 * The resume-secret key every process of a school shares, so a tab that reconnects through another process
 * keeps its peerId. The first process to start makes it; null when Redis cannot be reached now.
 */
export async function sharedResumeKey(url: string, candidate: Uint8Array, prefix = DEFAULT_PREFIX): Promise<Uint8Array | null> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2_000, lazyConnect: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.set(`${prefix}resume-key`, Buffer.from(candidate), 'NX');
    const key = await redis.getBuffer(`${prefix}resume-key`);
    return key?.length === 32 ? key : null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}
