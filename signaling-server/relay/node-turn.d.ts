// The parts of node-turn 0.0.6 (CommonJS, untyped) that turn-server.ts drives. Not its public API:
// turn-server.ts owns the sockets and patches its weak spots, so it reaches into these objects.
declare module 'node-turn' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:dgram';

  export interface TurnAddress {
    address: string;
    port: number;
  }
  /** What a transport sends replies on: our senders (transports.ts), which never throw. */
  export interface TurnSender {
    send(bytes: Buffer, port: number, address: string, done?: (error?: Error | null) => void): void;
    /** False once a TCP client's connection closed. */
    isOpen(): boolean;
  }
  export interface TurnTransport {
    src: TurnAddress;
    dst: TurnAddress;
    socket: TurnSender;
    get5Tuple(): string;
  }
  export interface TurnUser {
    username: string;
  }
  export interface TurnReply {
    addAttribute(name: string, value?: unknown): void;
    resolve(): void;
    reject(code: number, reason: string): void;
    discard(): void;
  }
  export interface TurnMessage {
    transport: TurnTransport;
    transactionID: string;
    user: TurnUser | null;
    allocation: TurnAllocation | null;
    getAttribute(name: string): unknown;
    getAttributes(name: string): unknown[];
  }
  export interface TurnAllocation {
    transactionID: string;
    /** Reverted: src is the relay, dst the client. */
    transport: TurnTransport;
    timer: ReturnType<typeof setTimeout>;
    lifetime: number;
    sockets: Socket[];
    user: TurnUser;
    mappedAddress: TurnAddress;
    relayedTransportAddress: TurnAddress;
    /** Peer IP → expiry (ms). */
    permissions: Record<string, number>;
    channelBindings: Record<string, TurnAddress | undefined>;
    update(lifetime?: number): number;
    permit(address: string): void;
  }
  export interface TurnOptions {
    listeningIps?: string[];
    relayIps?: string[];
    minPort?: number;
    maxPort?: number;
    authMech?: 'none' | 'short-term' | 'long-term';
    realm?: string;
    debugLevel?: string;
    log?: (message: unknown) => void;
  }
  export default class Server extends EventEmitter {
    constructor(options: TurnOptions);
    realm: string;
    software: string;
    defaultLifetime: number;
    maxAllocateTimeout: number;
    allocations: Record<string, TurnAllocation>;
    authentification: {
      credentials: Record<string, string | undefined>;
      generateNonce(): string;
      checkNonce(nonce: unknown): boolean;
    };
  }
}

declare module 'node-turn/lib/allocation.js' {
  import type { TurnAllocation, TurnMessage } from 'node-turn';
  import type { Socket } from 'node:dgram';
  /** Registers itself in server.allocations, arms its expiry timer and listens on its sockets. */
  const Allocation: new (msg: TurnMessage, sockets: Socket[], lifetime: number) => TurnAllocation;
  export default Allocation;
}

declare module 'node-turn/lib/message.js' {
  import type Server from 'node-turn';
  import type { TurnMessage } from 'node-turn';
  export default class Message implements TurnMessage {
    constructor(server: Server, transport: unknown);
    transport: TurnMessage['transport'];
    transactionID: string;
    user: TurnMessage['user'];
    allocation: TurnMessage['allocation'];
    class: number;
    method: number;
    addAttribute(name: string, value?: unknown): void;
    toBuffer(): Buffer;
    read(bytes: Buffer): boolean;
    getAttribute(name: string): unknown;
    getAttributes(name: string): unknown[];
  }
}

declare module 'node-turn/lib/transport.js' {
  import type { TurnAddress, TurnSender, TurnTransport } from 'node-turn';
  export default class Transport implements TurnTransport {
    constructor(protocol: number, src: TurnAddress, dst: TurnAddress, socket: TurnSender);
    src: TurnAddress;
    dst: TurnAddress;
    socket: TurnSender;
    get5Tuple(): string;
  }
}

declare module 'node-turn/lib/address.js' {
  export default class Address {
    constructor(address: string, port: number);
    address: string;
    port: number;
  }
}
