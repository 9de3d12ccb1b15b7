import { makeZip } from 'client-zip';

// A store-only zip of stored files, as one Blob that copies none of their bytes. client-zip writes the zip
// (headers, CRC-32, data descriptors, zip64 where a file or offset passes 4 GiB) and passes each data chunk
// through unchanged; every chunk we feed it is read from a slice of the file's Blob, so the zip Blob is built
// from those slices (references to the stored pieces, which the browser keeps on disk) and the small headers.
// Reading each chunk once is the CRC-32 pass: it is what "progress" counts. Nothing is held but one chunk.
// Why client-zip (not fflate or zip.js): docs/saving.md.

/** Read per step of the CRC pass: big enough to keep reads cheap, small next to memory. */
const CHUNK_BYTES = 1024 * 1024;
/** Zip headers are tens of bytes; a larger chunk the zip writer did not get from us means it copied file data. */
const MAX_HEADER_CHUNK = 64 * 1024;

export interface ZipEntry {
  /** The entry's '/'-separated path inside the zip (already safe: shared/file-paths.ts). */
  path: string;
  blob: Blob;
  lastModified?: Date;
}

/** Bytes of file data read (and checksummed) so far, of `total`. */
export type ZipProgress = (done: number, total: number) => void;

async function* chunksOf(blob: Blob, slices: WeakMap<Uint8Array, Blob>, read: (n: number) => void): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < blob.size; at += CHUNK_BYTES) {
    const slice = blob.slice(at, Math.min(blob.size, at + CHUNK_BYTES));
    const bytes = new Uint8Array(await slice.arrayBuffer());
    if (bytes.byteLength !== slice.size) throw new Error(`read ${bytes.byteLength} bytes of a ${slice.size}-byte slice`);
    slices.set(bytes, slice);
    read(bytes.byteLength);
    yield bytes;
  }
}

/** The zip of `entries` as a Blob of header bytes and slices of the entries' Blobs. */
export async function zipBlob(entries: readonly ZipEntry[], onProgress: ZipProgress = () => undefined): Promise<Blob> {
  const total = entries.reduce((sum, e) => sum + e.blob.size, 0);
  let done = 0;
  const read = (n: number) => onProgress((done += n), total);
  const slices = new WeakMap<Uint8Array, Blob>();
  const now = new Date();
  const stream = makeZip(entries.map((e) => ({
    name: e.path, size: e.blob.size, lastModified: e.lastModified ?? now, input: chunksOf(e.blob, slices, read),
  })), { buffersAreUTF8: true });
  const parts: BlobPart[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    const slice = slices.get(value);
    if (slice !== undefined) parts.push(slice);
    else if (value.byteLength <= MAX_HEADER_CHUNK) parts.push(value as Uint8Array<ArrayBuffer>); // client-zip allocates its own headers
    else throw new Error('the zip writer copied file data: refusing to hold a file in memory');
  }
  onProgress(total, total);
  return new Blob(parts, { type: 'application/zip' });
}
