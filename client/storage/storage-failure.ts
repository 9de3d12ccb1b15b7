import { StorageFailure } from '../../peer/contracts.ts';

// What IndexedDB throws or aborts with, as the coded failure the engine understands (quota or write failure).

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (name === 'UnknownError' && /quota|space/i.test(String((e as Error).message)));
}

/** Maps whatever IndexedDB threw or aborted with onto a coded failure. */
export function toStorageFailure(e: unknown, what: string): StorageFailure {
  if (e instanceof StorageFailure) return e;
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return isQuotaError(e)
    ? new StorageFailure('ERR_STORAGE_QUOTA', `The browser's storage for this page is full (${what}). Free disk space or delete finished downloads.`)
    : new StorageFailure('ERR_STORAGE_WRITE', `Could not store ${what}: ${detail}`);
}
