import type { FileSnapshot, FileState } from '../../peer/snapshot-types.ts';

// What the page says a file is doing. The engine says 'verifying' once no piece is left to request, even
// while hashing lags far behind; the page says so only when every piece has arrived (had or being checked).

export function shownState(file: Pick<FileSnapshot, 'state' | 'piecesHad' | 'pieceCount' | 'awaitingVerification'>): FileState {
  if (file.state !== 'verifying') return file.state;
  return file.piecesHad + file.awaitingVerification.length >= file.pieceCount ? 'verifying' : 'downloading';
}
