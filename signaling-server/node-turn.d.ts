// The parts of node-turn 0.0.6 (CommonJS, untyped) that turn-server.ts drives. Not its public API:
// turn-server.ts owns the sockets and patches its weak spots, so it reaches into these objects.
declare module 'node-turn' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:dgram';

  export interface TurnAddress {
    address: string;
    port: number;
  }
  export interface TurnTransport {
    get5Tuple(): string;
  }
  export interface TurnUser {
    username: string;
  }
  export interface TurnReply {
    reject(code: number, reason: string): void;
    discard(): void;
  }
  export interface TurnMessage {
    transport: TurnTransport;
    getAttribute(name: string): unknown;
    getAttributes(name: string): unknown[];
  }
  export interface TurnAllocation {
    timer: ReturnType<typeof setTimeout>;
    lifetime: number;
    sockets: Socket[];
    user: TurnUser;
    permissions: Record<string, number>;
    channelBindings: Record<string, TurnAddress | undefined>;
    update(lifetime?: number): number;
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
    allocate: { checkQuota(username: unknown): boolean };
    createPermission: { createPermission(msg: TurnMessage, reply: TurnReply): void };
    channelBind: { channelBind(msg: TurnMessage, reply: TurnReply): void };
  }
}

declare module 'node-turn/lib/message.js' {
  import type Server from 'node-turn';
  import type { TurnMessage } from 'node-turn';
  export default class Message implements TurnMessage {
    constructor(server: Server, transport: unknown);
    transport: TurnMessage['transport'];
    read(bytes: Buffer): boolean;
    getAttribute(name: string): unknown;
    getAttributes(name: string): unknown[];
  }
}

declare module 'node-turn/lib/transport.js' {
  export default class Transport {
    constructor(protocol: number, src: unknown, dst: unknown, socket: unknown);
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
