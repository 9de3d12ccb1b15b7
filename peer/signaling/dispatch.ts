import type { SignalError, ServerFrame } from '../../shared/signaling.ts';
import type { Emit } from './events.ts';
import type { RequestBook } from './requests.ts';

// One checked server frame → the handler, the pending request or the client state it is for.

export interface FrameSink {
  emit: Emit;
  requests: RequestBook;
  onWelcome(frame: Extract<ServerFrame, { type: 'welcome' }>): void;
  onIceServers(frame: Extract<ServerFrame, { type: 'ice-servers' }>): void;
}

export function dispatchServerFrame(f: ServerFrame, sink: FrameSink): void {
  const { emit, requests } = sink;
  switch (f.type) {
    case 'welcome': return sink.onWelcome(f);
    case 'ice-servers': return sink.onIceServers(f);
    case 'joined': return emit('onJoined', f.swarmId, f.members, f.announcements);
    case 'left': return emit('onLeft', f.swarmId);
    case 'peer-joined': return emit('onPeerJoined', f.swarmId, f.peer);
    case 'peer-left': return emit('onPeerLeft', f.swarmId, f.peerId);
    case 'peer-updated': return emit('onPeerUpdated', f.peer);
    case 'announcement': return emit('onAnnouncement', f.swarmId, { fileId: f.fileId, manifest: f.manifest, from: f.from });
    case 'signal': return emit('onSignal', f.from, f.payload);
    case 'share-code': return requests.onShareCode(f.swarmId, f.code);
    case 'code-resolved': return requests.onCodeResolved(f.code, f.swarmId);
    case 'error': {
      const error: SignalError = { code: f.code, message: f.message, ...(f.ref !== undefined ? { ref: f.ref } : {}) };
      requests.onError(f.ref, error);
      return emit('onError', error);
    }
    default: {
      const never: never = f;
      return never;
    }
  }
}
