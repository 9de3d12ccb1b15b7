import { sha256Hex } from '../../shared/sha256.ts';
import type { CheckedPut } from '../../peer/contracts.ts';
import { toStorageFailure } from './storage-failure.ts';

/** SHA-256 of a downloaded piece against its manifest hash, then, only when it matches, the write. */
export async function checkThenPut(index: number, bytes: Uint8Array, expectedHash: string, put: () => Promise<void>): Promise<CheckedPut> {
  if ((await sha256Hex(bytes)) !== expectedHash) return { result: 'corrupt', bytes };
  try {
    await put();
    return { result: 'stored', bytes };
  } catch (e) {
    return { result: 'failed', error: toStorageFailure(e, `piece ${index}`) };
  }
}
