// Types of the Switchyard JavaScript client (the code is plain ES modules in this directory).

/** An event frame of the Fabric protocol (PROTOCOL.md "Server → client"). */
export interface SwitchyardEvent {
  op: 'event';
  topic: string;
  channel: string;
  /** Absent on volatile room events. */
  seq?: number;
  /** The event's cursor; absent on volatile room events. */
  id?: string;
  timestamp: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  snapshot?: boolean;
  volatile?: boolean;
  idempotencyKey?: string;
  correlationId?: string;
}

/** An error frame of the server. */
export interface ErrorFrame {
  op: 'error';
  code: string;
  message?: string;
  topic?: string;
  room?: string;
  version?: number;
}

export interface SubscribedInfo {
  topic: string;
  cursor: string;
  replay: number;
  /** null when nothing was resumed; false when history did not cover the gap. */
  recovered: boolean | null;
  resumed: boolean;
}

export type TokenProvider = () => string | Promise<string>;

export interface ClientOptions {
  url: string;
  token: string | TokenProvider;
  WebSocket?: unknown;
  backoff?: { initialMs?: number; maxMs?: number };
  pingIntervalMs?: number;
}

export interface SubscribeOptions {
  since?: string;
  scopes?: Record<string, unknown>;
  filter?: Record<string, unknown>;
  onEvent?: (event: SwitchyardEvent) => void;
  onSubscribed?: (info: SubscribedInfo) => void;
  onGap?: (info: SubscribedInfo) => void;
  onError?: (frame: ErrorFrame) => void;
}

export declare class Subscription {
  readonly topic: string;
  readonly cursor: string | null;
  unsubscribe(): void;
}

export interface Member {
  member: string;
  user: string;
  info: Record<string, unknown>;
  joinedAt: string;
}

export interface PresenceFrame {
  op: 'presence';
  room: string;
  joins?: Member[];
  leaves?: string[];
  updates?: { member: string; info: Record<string, unknown> }[];
}

export interface StateFrame {
  op: 'state';
  room: string;
  patch: Record<string, unknown>;
  version: number;
  member: string | null;
}

export interface JoinOptions {
  info?: Record<string, unknown>;
  since?: string;
  onJoined?: (arg: { room: Room; rejoined: boolean }) => void;
  onPresence?: (frame: PresenceFrame) => void;
  onState?: (frame: StateFrame) => void;
  onMetadata?: (frame: { op: 'metadata'; room: string; metadata: Record<string, unknown> }) => void;
  onEvent?: (event: SwitchyardEvent) => void;
  onSubscribed?: (info: SubscribedInfo) => void;
  onGap?: (info: SubscribedInfo) => void;
  onError?: (frame: ErrorFrame) => void;
}

export declare class Room {
  readonly name: string;
  readonly ready: Promise<Room>;
  readonly member: string | null;
  readonly members: Map<string, Member>;
  readonly metadata: Record<string, unknown>;
  readonly state: Record<string, unknown>;
  readonly version: number;
  setInfo(info: Record<string, unknown>): void;
  patchState(patch: Record<string, unknown>, version?: number): Promise<number>;
  publish(type: string, data: unknown, options?: { volatile?: boolean }): boolean;
  leave(): void;
}

export interface ClientEvents {
  state: 'connecting' | 'open' | 'closed';
  open: undefined;
  close: { code: number; reason: string; delayMs: number };
  refreshed: { expiresAt: string | null };
  error: Error | ErrorFrame;
}

export declare class Client {
  constructor(options: ClientOptions);
  readonly state: 'connecting' | 'open' | 'closed';
  connect(): this;
  close(): void;
  subscribe(topic: string, options?: SubscribeOptions): Subscription;
  join(room: string, options?: JoinOptions): Room;
  on<K extends keyof ClientEvents>(name: K, fn: (arg: ClientEvents[K]) => void): () => void;
}

export declare function backoffDelay(
  attempt: number, bounds?: { initialMs?: number; maxMs?: number }, random?: () => number): number;
export declare function applyMergePatch(target: unknown, patch: unknown): unknown;
export declare function tokenExpiry(token: string): number | null;
