// Token buckets per socket: one for frames, one for frames refused over the rate (strikes).

export interface TokenBucket {
  /** Takes `cost` tokens if there are enough; false (and nothing taken) otherwise. */
  take(cost: number): boolean;
  /** Tokens available now (refilled), without taking any. */
  available(): number;
}

export function createTokenBucket(capacity: number, perSecond: number, now: () => number): TokenBucket {
  let tokens = capacity; // available now
  let updatedAt = now(); // ms when `tokens` was last refilled
  const refill = () => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - updatedAt) / 1000) * perSecond);
    updatedAt = t;
    return tokens;
  };
  return {
    available: refill,
    take(cost) {
      if (refill() < cost) return false;
      tokens -= cost;
      return true;
    },
  };
}

export interface RateLimits {
  rateBurst: number;
  ratePerSecond: number;
  maxRateStrikes: number;
  rateStrikesPerSecond: number;
}

/** 'ok': handle the frame; 'refuse': answer ERR_RATE_LIMIT; 'close': sustained abuse, close 4008. */
export type RateVerdict = 'ok' | 'refuse' | 'close';

export interface SocketRateLimiter {
  admit(cost: number): RateVerdict;
  /** A frame refused for another allowance (its address's bytes): a strike, as if over the frame rate. */
  refuse(): RateVerdict;
}

export function createSocketRateLimiter(limits: RateLimits, now: () => number = Date.now): SocketRateLimiter {
  const frames = createTokenBucket(limits.rateBurst, limits.ratePerSecond, now);
  const strikes = createTokenBucket(limits.maxRateStrikes, limits.rateStrikesPerSecond, now);
  return {
    admit(cost) {
      if (frames.take(cost)) return 'ok';
      return strikes.take(1) ? 'refuse' : 'close';
    },
    refuse: () => (strikes.take(1) ? 'refuse' : 'close'),
  };
}
