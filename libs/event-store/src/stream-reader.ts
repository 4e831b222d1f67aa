import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  type EventStoreDBClient,
  FORWARDS,
  type ResolvedEvent,
  START,
  StreamNotFoundError,
  streamNameFilter,
} from '@eventstore/db-client';
import type { EventMetadata } from './envelope';
import { type CustomerKeyStore, openPersonalFields } from './personal-data';
import type { LogPosition } from './streams';

/**
 * A stored event as every reader sees it: upcast to the current payload shape, with its metadata, stream, revision
 * and place in `$all`. Structurally the read side's `ProjectedEvent`.
 */
export interface StoredEvent {
  /** The record's id (the envelope's `eventId` for events this service wrote). */
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  streamId: string;
  revision: number;
  position: LogPosition;
  /** Set when the stored payload held sealed personal fields (`decrypt` mode), opened or not. */
  sealed?: true;
}

/**
 * `decrypt` opens personal fields with the customer's key (absent once erased); `sealed` leaves them as stored
 * (`enc:v1:…`), for read models that keep personal data encrypted at rest. Both upcast. `stored` is the payload
 * exactly as stored, sealed and not upcast: what the hash chain covers.
 */
export type OpenMode = 'decrypt' | 'sealed' | 'stored';

export type Upcaster = (type: string, schemaVersion: number, data: unknown) => unknown;

export interface StreamReaderOptions {
  /** Lifts a stored payload to the current shape (libs/domain's `upcast`, passed in by the composition point). */
  upcast: Upcaster;
  /** Personal field paths per event type: what `decrypt` opens. */
  personalFields?: Readonly<Record<string, readonly string[]>>;
  /** Needed for `decrypt`. */
  keys?: CustomerKeyStore;
}

export interface ReadStreamOptions {
  /** First revision to read (forwards: oldest first; backwards: newest first). Default: the start, or the end. */
  fromRevision?: number;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
  open?: OpenMode;
  /** The id whose key seals the stream's personal data; default: the stream name after its first `-`. */
  entityId?: string;
  /** With `decrypt`: what an erased personal field reads as (default: the field is absent). */
  erasedAs?: string;
}

export interface ReadAllOptions {
  /** Streams whose names start with this. */
  prefix: string;
  /** Reads from this position, inclusive; default: the start (forwards) or the end (backwards). */
  fromPosition?: LogPosition;
  direction?: 'forwards' | 'backwards';
  /** Records of `$all` to look at (before the prefix filter); default: all. */
  maxCount?: number;
  open?: OpenMode;
}

export interface SubscribeOptions {
  /** Streams whose names start with this, filtered by the server. */
  prefix: string;
  /** Delivers the events after this position; default: from the start of `$all`. */
  afterPosition?: LogPosition;
  open?: OpenMode;
}

/** One record of a stream: its revision, and the event when it is one of ours (JSON). */
export interface StreamRecord {
  revision: number;
  event?: StoredEvent;
}

/**
 * A catch-up subscription: iterate it for events in `$all` order. `unsubscribe()` ends the iteration cleanly (a
 * pending `next()` then completes); a dropped connection makes the iteration throw.
 */
export interface EventSubscription extends AsyncIterable<StoredEvent> {
  unsubscribe(): Promise<void>;
}

type Recorded = NonNullable<ResolvedEvent['event']>;

/**
 * The one way to open stored events: every consumer (the decider store, the projector, history) reads through it,
 * so decryption, upcasting and skipping foreign records are done the same way everywhere.
 */
export class StreamReader {
  private readonly personalFields: Readonly<Record<string, readonly string[]>>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: StreamReaderOptions,
  ) {
    this.personalFields = options.personalFields ?? {};
  }

  /** The events of one stream; nothing when the stream does not exist. */
  async *readStream(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncGenerator<StoredEvent> {
    for await (const record of this.readStreamRecords(streamId, options)) {
      if (record.event) yield record.event;
    }
  }

  /**
   * Every record of one stream, each with its revision: records that are not JSON carry no event but still count
   * for the revision (the decider store needs the stream's revision, not just its events).
   */
  async *readStreamRecords(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncGenerator<StreamRecord> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision;
    const read = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: from === undefined ? (backwards ? END : START) : BigInt(from),
      ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    });
    const opener = this.opener(options.open ?? 'decrypt', options.erasedAs);
    const entityId = options.entityId ?? entityIdOf(streamId);
    let finished = false;
    try {
      for await (const resolved of read) {
        const recorded = resolved.event;
        if (!recorded) continue;
        const revision = Number(recorded.revision);
        const event = recorded.isJson ? await opener(recorded, entityId) : undefined;
        yield event ? { revision, event } : { revision };
      }
      finished = true;
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
      finished = true;
    } finally {
      // A consumer that stops early, or an event that cannot be opened: cancel the call rather than leave it open
      // (an abandoned call can keep the client's dispose() waiting).
      if (!finished) await read.cancel().catch(() => undefined);
    }
  }

  /** Events of the streams named `prefix…` in `$all` order (filtered here: reads of `$all` take no server filter). */
  async *readAll(options: ReadAllOptions): AsyncGenerator<StoredEvent> {
    const backwards = options.direction === 'backwards';
    const read = this.client.readAll({
      direction: backwards ? BACKWARDS : FORWARDS,
      fromPosition: options.fromPosition ?? (backwards ? END : START),
      ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    });
    const opener = this.opener(options.open ?? 'decrypt');
    let finished = false;
    try {
      for await (const resolved of read) {
        const event = await this.openFromAll(resolved, options.prefix, opener);
        if (event) yield event;
      }
      finished = true;
    } finally {
      if (!finished) await read.cancel().catch(() => undefined);
    }
  }

  /** Catch-up subscription to `$all`, filtered by the server to streams named `prefix…`. */
  subscribe(options: SubscribeOptions): EventSubscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: options.afterPosition ?? START,
      filter: streamNameFilter({ prefixes: [options.prefix] }),
    });
    const opener = this.opener(options.open ?? 'decrypt');
    const openFromAll = (resolved: AllStreamResolvedEvent) =>
      this.openFromAll(resolved, options.prefix, opener);
    let iterated = false;
    return {
      unsubscribe: () => subscription.unsubscribe(),
      async *[Symbol.asyncIterator]() {
        if (iterated) throw new Error('a subscription can be iterated once');
        iterated = true;
        let ended = false;
        try {
          for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
            const event = await openFromAll(resolved);
            if (event) yield event;
          }
          ended = true;
        } finally {
          if (!ended) await subscription.unsubscribe().catch(() => undefined);
        }
      },
    };
  }

  private async openFromAll(
    resolved: AllStreamResolvedEvent,
    prefix: string,
    opener: Opener,
  ): Promise<StoredEvent | undefined> {
    const recorded = resolved.event;
    if (!recorded?.isJson || !recorded.streamId.startsWith(prefix)) return undefined;
    return opener(recorded, recorded.streamId.slice(prefix.length));
  }

  /** Turns a JSON record into a StoredEvent; keys are looked up once per entity per read. */
  private opener(mode: OpenMode, erasedAs?: string): Opener {
    const keys = new Map<string, Buffer | null>();
    return async (recorded, entityId) => {
      const metadata = (recorded.metadata ?? {}) as Partial<EventMetadata>;
      let data = (recorded.data ?? {}) as Record<string, unknown>;
      const paths = this.personalFields[recorded.type] ?? [];
      const sealed =
        mode === 'decrypt' && paths.length > 0 && JSON.stringify(data).includes('"enc:v1:');
      if (sealed) {
        if (!keys.has(entityId)) {
          if (!this.options.keys) throw new Error('decrypting personal data needs a key store');
          keys.set(entityId, (await this.options.keys.lookup([entityId])).get(entityId) ?? null);
        }
        data = openPersonalFields(data, paths, keys.get(entityId) ?? null, entityId, erasedAs);
      }
      const upcast =
        mode === 'stored'
          ? data
          : this.options.upcast(recorded.type, metadata.schemaVersion ?? 1, data);
      return {
        id: recorded.id,
        type: recorded.type,
        data: upcast as Record<string, unknown>,
        metadata: metadata as EventMetadata,
        streamId: recorded.streamId,
        revision: Number(recorded.revision),
        // Every record the server returns has a place in the log; -1 only marks a server that left it out.
        position: recorded.position ?? { commit: -1n, prepare: -1n },
        ...(sealed ? { sealed } : {}),
      };
    };
  }
}

type Opener = (recorded: Recorded, entityId: string) => Promise<StoredEvent>;

function entityIdOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(dash + 1);
}
