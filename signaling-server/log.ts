import type { Logger } from './hub.ts';

// A hostile client can cause the same line thousands of times a second (a connection flood), which would scroll
// the join code and the file lines off the teacher's terminal. Each message (a fixed text; what varies is in
// its fields) is logged at most once per LOG_EVERY_MS, with how many were left out before it.

const LOG_EVERY_MS = 10_000;

export function throttledLogger(logger: Logger, now: () => number = Date.now): Logger {
  const lastLogged = new Map<string, { at: number; leftOut: number }>();
  const gate = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>): void => {
    const last = lastLogged.get(message);
    if (last && now() - last.at < LOG_EVERY_MS) {
      last.leftOut++;
      return;
    }
    lastLogged.set(message, { at: now(), leftOut: 0 });
    const leftOut = last?.leftOut ?? 0;
    logger[level](message, leftOut > 0 ? { ...fields, leftOutBefore: leftOut } : fields);
  };
  return { info: gate('info'), warn: gate('warn') };
}
