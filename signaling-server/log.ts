// How the server writes to the teacher's terminal: one Logger contract, the console and silent ones, and the one
// throttle. A hostile client can cause the same line thousands of times a second (a connection flood, a relay
// abuse), which would scroll the join code and the file lines off the terminal. Each message (a fixed text; what
// varies is in its fields) is logged at most once per LOG_EVERY_MS, with how many were left out before it.

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} };

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(message, ...(fields ? [fields] : [])),
  warn: (message, fields) => console.warn(message, ...(fields ? [fields] : [])),
};

export const LOG_EVERY_MS = 10_000;

/** Per key: null while the key was logged less than LOG_EVERY_MS ago, else how many were left out since. */
export function logGate<K>(now: () => number = Date.now): (key: K) => number | null {
  const lastLogged = new Map<K, { at: number; leftOut: number }>();
  return (key) => {
    const last = lastLogged.get(key);
    if (last && now() - last.at < LOG_EVERY_MS) {
      last.leftOut++;
      return null;
    }
    lastLogged.set(key, { at: now(), leftOut: 0 });
    return last?.leftOut ?? 0;
  };
}

export function throttledLogger(logger: Logger, now: () => number = Date.now): Logger {
  const due = logGate<string>(now);
  const gate = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>): void => {
    const leftOut = due(message);
    if (leftOut === null) return;
    logger[level](message, leftOut > 0 ? { ...fields, leftOutBefore: leftOut } : fields);
  };
  return { info: gate('info'), warn: gate('warn') };
}
