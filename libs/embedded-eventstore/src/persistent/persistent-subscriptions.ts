import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { EventFilter, type FilterSpec } from '../store/event-filter';
import { type EventStore, LINK_EVENT_TYPE, metastreamOf } from '../store/event-store';

// Persistent subscriptions (competing consumers) as EventStoreDB runs them: the server keeps, per
// group of a stream or of `$all`, where the group is, what each consumer holds, what is to be retried,
// and checkpoints the last position before which everything was handled. Everything the subsystem
// keeps lives in the log, in the streams the reference server uses, so a restart resumes:
// - the groups' settings: the latest `$PersistentConfig` event of `$persistentSubscriptionConfig`;
// - checkpoints: `$SubscriptionCheckpoint` events in `$persistentsubscription-<stream>::<group>-checkpoint`
//   (a revision for a stream, `"C:<commit>/P:<prepare>"` for `$all`);
// - parked messages: links (`$>`, `revision@stream`) in `$persistentsubscription-<stream>::<group>-parked`;
//   replayed ones are cut off by the parked stream's `$tb`.

export const CONFIG_STREAM = '$persistentSubscriptionConfig';
const CONFIG_EVENT_TYPE = '$PersistentConfig';
const CHECKPOINT_EVENT_TYPE = '$SubscriptionCheckpoint';
export const ALL = '$all';
const TIMEOUT_SCAN_MS = 50;
/** How many of a consumer's latest ack/nack latencies extraStatistics keeps, as EventStoreDB does. */
const LATENCY_WINDOW = 1000;

export type ConsumerStrategy = 'RoundRobin' | 'DispatchToSingle' | 'Pinned';
export type StartFrom = 'start' | 'end' | number;

export interface GroupSettings {
  resolveLinks: boolean;
  extraStatistics: boolean;
  messageTimeoutMs: number;
  checkpointAfterMs: number;
  maxRetryCount: number;
  minCheckpointCount: number;
  maxCheckpointCount: number;
  maxSubscriberCount: number;
  liveBufferSize: number;
  readBatchSize: number;
  historyBufferSize: number;
  strategy: ConsumerStrategy;
  /** A revision for a stream, a commit position for `$all`. */
  startFrom: StartFrom;
}

export interface GroupConfig {
  stream: string;
  group: string;
  filter?: FilterSpec;
  settings: GroupSettings;
}

export class SubscriptionExists extends Error {}
export class SubscriptionNotFound extends Error {}
export class MaximumSubscribersReached extends Error {}
export class InvalidSettings extends Error {}

/** What the gRPC layer gives the subsystem for each connected consumer. */
export interface ConsumerConnection {
  bufferSize: number;
  connectionName: string;
  username: string;
  from: string;
  send(message: DeliveredMessage): void;
  /** The group stops this consumer (nack stop, update, delete, subsystem restart). */
  drop(reason: 'dropped' | 'deleted' | 'restart'): void;
}

export interface DeliveredMessage {
  event: Buffer | undefined;
  link: Buffer | undefined;
  commitPosition: number;
  retryCount: number;
}

interface Message {
  id: string;
  /** The index delivered as the event (undefined: a link whose target is gone). */
  event: number | undefined;
  link: number | undefined;
  /** The source position (revision or commit position); undefined for a replayed parked message. */
  sequence: number | undefined;
  /** The event whose source stream pins it (Pinned strategy), read only when needed. */
  pinIndex: number;
  retryCount: number;
}

interface Consumer {
  id: number;
  connection: ConsumerConnection;
  inFlight: Set<string>;
  totalItems: number;
  /** totalItems at the last measurement (the last info request). */
  measuredItems: number;
  /** With extraStatistics: latency from delivery to ack or nack. */
  latency: LatencyWindow | undefined;
}

/** A consumer's rate and latency figures, as a measurement reports them. */
export interface ConsumerMeasurement {
  averageItemsPerSecond: number;
  countSinceLastMeasurement: number;
  /** extraStatistics: latency summary in milliseconds, in EventStoreDB's order; empty when off. */
  latency: { key: string; value: number }[];
}

/**
 * A consumer's latest delivery-to-acknowledgement times (ms), summarised as EventStoreDB's
 * extraStatistics are: mean, median, fastest, the quintile starts, upper percentiles and highest.
 */
export class LatencyWindow {
  private readonly started = new Map<string, number>();
  private readonly samples: number[] = [];
  private next = 0;

  start(id: string, now: number): void {
    this.started.set(id, now);
  }

  end(id: string, now: number): void {
    const startedAt = this.started.get(id);
    if (startedAt === undefined) return;
    this.started.delete(id);
    const ms = Math.floor(now - startedAt);
    if (this.samples.length < LATENCY_WINDOW) this.samples.push(ms);
    else {
      this.samples[this.next] = ms;
      this.next = (this.next + 1) % LATENCY_WINDOW;
    }
  }

  summary(): { key: string; value: number }[] {
    const n = this.samples.length;
    if (n === 0) return [];
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (percent: number) => sorted[Math.min(n - 1, Math.floor((percent * n) / 100))];
    const sum = sorted.reduce((total, ms) => total + ms, 0);
    return [
      { key: 'Mean', value: Math.floor(sum / n) },
      { key: 'Median', value: sorted[Math.floor(n / 2)] },
      { key: 'Fastest', value: sorted[0] },
      ...[0, 20, 40, 60, 80].map((percent, i) => ({
        key: `Quintile ${i + 1}`,
        value: at(percent),
      })),
      ...[90, 95, 99, 99.5, 99.9].map((percent) => ({ key: `${percent}%`, value: at(percent) })),
      { key: 'Highest', value: sorted[n - 1] },
    ];
  }
}

interface InFlight {
  message: Message;
  consumer: Consumer;
  expiresAt: number;
}

export interface RecordedView {
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: Buffer;
}

export function viewRecorded(store: EventStore, index: number): RecordedView {
  const recorded = ReadResp.ReadEvent.RecordedEvent.deserializeBinary(store.table.recorded(index));
  return {
    id: recorded.getId()?.getString() ?? '',
    stream: Buffer.from(recorded.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8'),
    revision: Number(recorded.getStreamRevision()),
    type: recorded.getMetadataMap().get('type') ?? '',
    data: Buffer.from(recorded.getData_asU8()),
  };
}

function jsonEvent(type: string, data: unknown, contentType = 'application/json') {
  return {
    id: randomUUID(),
    type,
    contentType,
    data: Buffer.from(
      typeof data === 'string' && type === LINK_EVENT_TYPE ? data : JSON.stringify(data),
    ),
    metadata: Buffer.alloc(0),
  };
}

function groupKey(stream: string, group: string): string {
  return `${stream}::${group}`;
}

function formatPosition(position: number): string {
  return `C:${position}/P:${position}`;
}

export class PersistentSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly stopListening: () => void;
  private loading: Promise<void> = Promise.resolve();

  constructor(private readonly store: EventStore) {
    this.stopListening = store.onCommit(() => {
      for (const group of this.groups.values()) group.pump();
    });
  }

  /** Loads the groups, their checkpoints and parked counts from the log. */
  async start(): Promise<void> {
    this.loading = Promise.resolve(this.load());
    await this.loading;
  }

  private load(): void {
    for (const config of this.readConfig()) {
      this.groups.set(groupKey(config.stream, config.group), new Group(this.store, config));
    }
  }

  close(): void {
    this.stopListening();
    for (const group of this.groups.values()) group.stop('restart');
  }

  list(stream?: string): Group[] {
    return [...this.groups.values()].filter(
      (group) => stream === undefined || group.config.stream === stream,
    );
  }

  get(stream: string, group: string): Group {
    const found = this.groups.get(groupKey(stream, group));
    if (!found)
      throw new SubscriptionNotFound(
        `Subscription group ${group} on stream ${stream} does not exist.`,
      );
    return found;
  }

  async create(config: GroupConfig): Promise<void> {
    await this.loading;
    const key = groupKey(config.stream, config.group);
    if (this.groups.has(key)) {
      throw new SubscriptionExists(
        `Subscription group ${config.group} on stream ${config.stream} exists.`,
      );
    }
    const group = new Group(this.store, config);
    this.groups.set(key, group);
    await this.saveConfig();
  }

  async update(config: GroupConfig): Promise<void> {
    const previous = this.get(config.stream, config.group);
    // As on EventStoreDB, an update restarts the group: its consumers are dropped and reconnect.
    previous.stop('dropped');
    const group = new Group(this.store, { ...config, filter: previous.config.filter });
    this.groups.set(groupKey(config.stream, config.group), group);
    await this.saveConfig();
  }

  async delete(stream: string, group: string): Promise<void> {
    const found = this.get(stream, group);
    found.stop('deleted');
    this.groups.delete(groupKey(stream, group));
    await this.saveConfig();
    for (const name of [found.checkpointStream, found.parkedStream]) {
      if (this.store.streamState(name)) await this.store.deleteStream(name, 'any');
    }
  }

  /** Drops every consumer and reloads the groups from the log, as the reference server's restart. */
  async restart(): Promise<void> {
    for (const group of this.groups.values()) group.stop('restart');
    this.groups.clear();
    await this.start();
  }

  private readConfig(): GroupConfig[] {
    const plan = this.store.readStream(CONFIG_STREAM, 'backwards', 'end', 1);
    if (plan.kind !== 'ok') return [];
    for (const index of plan.indexes) {
      const parsed = JSON.parse(viewRecorded(this.store, index).data.toString('utf8')) as {
        entries: GroupConfig[];
      };
      return parsed.entries;
    }
    return [];
  }

  private async saveConfig(): Promise<void> {
    const entries = [...this.groups.values()].map((group) => group.config);
    await this.store.append(CONFIG_STREAM, 'any', [
      jsonEvent(CONFIG_EVENT_TYPE, {
        version: '2',
        updated: new Date().toISOString(),
        updatedBy: 'admin',
        entries,
      }),
    ]);
  }
}

export class Group {
  readonly checkpointStream: string;
  readonly parkedStream: string;
  private readonly filter: EventFilter | undefined;
  private consumers: Consumer[] = [];
  private nextConsumerId = 0;
  private roundRobin = 0;
  /** Next source position to read: a revision for a stream, a commit position for `$all`. */
  private cursor = 0;
  /**
   * The read buffer: events read (at most historyBufferSize with the retries, readBatchSize at a
   * time) or received live, waiting for a consumer.
   */
  private readonly fetched: Message[] = [];
  private readonly retries: Message[] = [];
  /**
   * The group has read all there was and takes new events as they are committed, into the read
   * buffer while it has room; when it is full the group falls behind and reads again.
   */
  private live = false;
  /** The latest events committed since the group started (at most liveBufferSize of them). */
  private readonly liveBuffer: Message[] = [];
  /** Next source position the live feed has not seen. */
  private liveCursor: number;
  /** When and at what totalItems the last measurement (info request) was taken. */
  private measuredAt = performance.now();
  private measuredItems = 0;
  private readonly inFlight = new Map<string, InFlight>();
  /** Source positions read and not yet handled, in order, with whether they are handled. */
  private readonly window: { sequence: number; done: boolean }[] = [];
  private checkpoint: number | undefined;
  private lastKnown: number | undefined;
  private handledSinceCheckpoint = 0;
  private writingCheckpoint = false;
  private lastCheckpointAt = Date.now();
  private totalItems = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    readonly config: GroupConfig,
  ) {
    const base = `$persistentsubscription-${config.stream}::${config.group}`;
    this.checkpointStream = `${base}-checkpoint`;
    this.parkedStream = `${base}-parked`;
    this.filter = config.filter ? new EventFilter(config.filter) : undefined;
    this.checkpoint = this.readCheckpoint();
    this.cursor = this.initialCursor();
    this.liveCursor = Math.max(this.cursor, this.endOfSource());
    // As EventStoreDB's, a group reads ahead into its buffer at once, consumers or not.
    this.fill();
  }

  get isAll(): boolean {
    return this.config.stream === ALL;
  }

  private readCheckpoint(): number | undefined {
    const plan = this.store.readStream(this.checkpointStream, 'backwards', 'end', 1);
    if (plan.kind !== 'ok') return undefined;
    for (const index of plan.indexes) {
      const value = JSON.parse(viewRecorded(this.store, index).data.toString('utf8')) as
        number | string;
      if (typeof value === 'number') return value;
      const match = /^C:(\d+)\/P:\d+$/.exec(value);
      return match ? Number(match[1]) : undefined;
    }
    return undefined;
  }

  private initialCursor(): number {
    if (this.checkpoint !== undefined) return this.checkpoint + 1;
    const from = this.config.settings.startFrom;
    if (from === 'start') return 0;
    if (from !== 'end') return from;
    return this.endOfSource();
  }

  /** The source position after the last committed event. */
  private endOfSource(): number {
    if (this.isAll) return this.store.table.position[this.store.committed - 1] + 1 || 0;
    const state = this.store.streamState(this.config.stream);
    let visible = state?.revisions.length ?? 0;
    while (visible > 0 && state!.revisions[visible - 1] >= this.store.committed) visible--;
    return visible;
  }

  // ---- consumers ----------------------------------------------------------------------------

  connect(connection: ConsumerConnection): () => void {
    const max = this.config.settings.maxSubscriberCount;
    if (max > 0 && this.consumers.length >= max) {
      throw new MaximumSubscribersReached('Maximum subscriptions reached.');
    }
    const consumer: Consumer = {
      id: this.nextConsumerId++,
      connection,
      inFlight: new Set(),
      totalItems: 0,
      measuredItems: 0,
      latency: this.config.settings.extraStatistics ? new LatencyWindow() : undefined,
    };
    this.consumers.push(consumer);
    this.timer ??= setInterval(() => this.expireMessages(), TIMEOUT_SCAN_MS).unref();
    queueMicrotask(() => this.pump());
    return () => this.disconnect(consumer);
  }

  private disconnect(consumer: Consumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at < 0) return;
    this.consumers.splice(at, 1);
    // What the consumer held goes to the others, its retry count unchanged.
    for (const id of consumer.inFlight) {
      const held = this.inFlight.get(id);
      if (!held) continue;
      this.inFlight.delete(id);
      this.retries.push(held.message);
    }
    consumer.inFlight.clear();
    if (this.consumers.length === 0) this.clearTimer();
    this.pump();
  }

  stop(reason: 'dropped' | 'deleted' | 'restart'): void {
    this.stopped = true;
    this.clearTimer();
    for (const consumer of this.consumers.splice(0)) consumer.connection.drop(reason);
  }

  private clearTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  ack(ids: readonly string[]): void {
    for (const id of ids) {
      const held = this.release(id);
      if (held) this.handled(held.message);
    }
    this.pump();
  }

  async nack(ids: readonly string[], action: 'park' | 'retry' | 'skip' | 'stop', reason: string) {
    for (const id of ids) {
      const held = this.release(id);
      if (!held) continue;
      if (action === 'skip') this.handled(held.message);
      else if (action === 'retry') this.retry(held.message, reason);
      else if (action === 'park') await this.park(held.message, reason);
      else this.retries.push(held.message);
    }
    // Stop: the group drops its consumers; what they held is delivered again when they return.
    if (action === 'stop') this.dropAll();
    this.pump();
  }

  private dropAll(): void {
    for (const consumer of [...this.consumers]) {
      this.disconnect(consumer);
      consumer.connection.drop('dropped');
    }
  }

  private release(id: string): InFlight | undefined {
    const held = this.inFlight.get(id);
    if (!held) return undefined;
    this.inFlight.delete(id);
    held.consumer.inFlight.delete(id);
    held.consumer.latency?.end(id, performance.now());
    return held;
  }

  private retry(message: Message, reason: string): void {
    if (message.retryCount >= this.config.settings.maxRetryCount) {
      void this.park(message, `${reason} (max retry count reached)`).then(() => this.pump());
      return;
    }
    this.retries.push({ ...message, retryCount: message.retryCount + 1 });
  }

  private expireMessages(): void {
    const timeout = this.config.settings.messageTimeoutMs;
    if (timeout <= 0) return;
    const now = Date.now();
    let expired = false;
    for (const [id, held] of this.inFlight) {
      if (held.expiresAt > now) continue;
      this.release(id);
      this.retry(held.message, 'message timeout');
      expired = true;
    }
    if (expired) this.pump();
    this.maybeCheckpoint(false);
  }

  private async park(message: Message, reason: string): Promise<void> {
    const original = message.link ?? message.event;
    if (original !== undefined) {
      const view = viewRecorded(this.store, original);
      const link = jsonEvent(
        LINK_EVENT_TYPE,
        `${view.revision}@${view.stream}`,
        'application/octet-stream',
      );
      link.metadata = Buffer.from(JSON.stringify({ reason }));
      await this.store.append(this.parkedStream, 'any', [link]);
    }
    this.handled(message);
  }

  /** Delivers parked messages again (up to `stopAt` of them) and cuts them off the parked stream. */
  async replayParked(stopAt: number | undefined): Promise<void> {
    const plan = this.store.readStream(
      this.parkedStream,
      'forwards',
      'start',
      stopAt ?? Number.MAX_SAFE_INTEGER,
    );
    if (plan.kind !== 'ok') return;
    let last: number | undefined;
    for (const index of plan.indexes) {
      last = viewRecorded(this.store, index).revision;
      const target = this.store.resolveLink(index);
      if (target === undefined) continue;
      this.retries.push(this.messageOf(target, undefined, undefined));
    }
    if (last !== undefined) {
      await this.store.append(metastreamOf(this.parkedStream), 'any', [
        jsonEvent('$metadata', { $tb: last + 1 }),
      ]);
    }
    this.pump();
  }

  parkedCount(): number {
    const plan = this.store.readStream(
      this.parkedStream,
      'forwards',
      'start',
      Number.MAX_SAFE_INTEGER,
    );
    if (plan.kind !== 'ok') return 0;
    let count = 0;
    for (const _ of plan.indexes) count++;
    return count;
  }

  // ---- checkpoints --------------------------------------------------------------------------

  private handled(message: Message): void {
    this.totalItems++;
    if (message.sequence === undefined) return;
    const entry = this.window.find((item) => item.sequence === message.sequence && !item.done);
    if (entry) entry.done = true;
    while (this.window.length > 0 && this.window[0].done) {
      this.checkpointCandidate = this.window.shift()!.sequence;
      this.handledSinceCheckpoint++;
    }
    this.maybeCheckpoint(false);
  }

  private checkpointCandidate: number | undefined;

  private maybeCheckpoint(force: boolean): void {
    const settings = this.config.settings;
    if (this.checkpointCandidate === undefined || this.checkpointCandidate === this.checkpoint)
      return;
    const due =
      force ||
      this.handledSinceCheckpoint >= settings.maxCheckpointCount ||
      (this.handledSinceCheckpoint >= settings.minCheckpointCount &&
        Date.now() - this.lastCheckpointAt >= settings.checkpointAfterMs);
    if (!due || this.writingCheckpoint || this.stopped) return;
    const value = this.checkpointCandidate;
    this.writingCheckpoint = true;
    this.handledSinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    void this.store
      .append(this.checkpointStream, 'any', [
        jsonEvent(CHECKPOINT_EVENT_TYPE, this.isAll ? formatPosition(value) : value),
      ])
      .then(
        () => {
          this.checkpoint = value;
        },
        () => undefined,
      )
      .finally(() => {
        this.writingCheckpoint = false;
      });
  }

  // ---- delivery -----------------------------------------------------------------------------

  pump(): void {
    if (this.stopped) return;
    this.receiveLive();
    for (;;) {
      this.fill();
      if (!this.consumers.some((c) => c.inFlight.size < c.connection.bufferSize)) return;
      const message = this.retries[0] ?? this.fetched[0];
      if (!message) return;
      const consumer = this.choose(message);
      if (!consumer) return;
      if (this.retries[0] === message) this.retries.shift();
      else this.fetched.shift();
      this.deliver(message, consumer);
    }
  }

  private choose(message: Message): Consumer | undefined {
    const free = (c: Consumer) => c.inFlight.size < c.connection.bufferSize;
    const strategy = this.config.settings.strategy;
    if (strategy === 'DispatchToSingle') return this.consumers.find(free);
    if (strategy === 'Pinned') {
      const pinKey = viewRecorded(this.store, message.pinIndex).stream;
      const pinned = this.consumers[hash(pinKey) % this.consumers.length];
      return free(pinned) ? pinned : undefined;
    }
    for (let i = 0; i < this.consumers.length; i++) {
      const consumer = this.consumers[(this.roundRobin + i) % this.consumers.length];
      if (free(consumer)) {
        this.roundRobin = (this.roundRobin + i + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  private deliver(message: Message, consumer: Consumer): void {
    const table = this.store.table;
    this.inFlight.set(message.id, {
      message,
      consumer,
      expiresAt: Date.now() + this.config.settings.messageTimeoutMs,
    });
    consumer.inFlight.add(message.id);
    consumer.totalItems++;
    consumer.latency?.start(message.id, performance.now());
    const positionOf = message.link ?? message.event!;
    consumer.connection.send({
      event: message.event === undefined ? undefined : table.recorded(message.event),
      link: message.link === undefined ? undefined : table.recorded(message.link),
      commitPosition: table.position[positionOf],
      retryCount: message.retryCount,
    });
  }

  private messageOf(index: number, sequence: number | undefined, retryCount = 0): Message {
    let event: number | undefined = index;
    let link: number | undefined;
    if (this.config.settings.resolveLinks && this.store.isLink(index)) {
      link = index;
      event = this.store.resolveLink(index);
    }
    return {
      id: this.store.table.id(link ?? index),
      event,
      link,
      sequence,
      pinIndex: event ?? index,
      retryCount,
    };
  }

  /** Up to `count` source events from position `from` on, and the position after them. */
  private readSource(from: number, count: number): { messages: Message[]; next: number } {
    const messages: Message[] = [];
    let next = from;
    if (this.isAll) {
      for (const index of this.store.readAll('forwards', from, count, this.filter)) {
        const position = this.store.table.position[index];
        messages.push(this.messageOf(index, position));
        next = position + 1;
      }
    } else {
      const plan = this.store.readStream(this.config.stream, 'forwards', BigInt(from), count);
      if (plan.kind === 'ok') {
        const revisions = this.store.streamState(this.config.stream)!.revisions;
        for (const index of plan.indexes) {
          const revision = revisions.indexOf(index, next);
          messages.push(this.messageOf(index, revision));
          next = revision + 1;
        }
      }
    }
    // Short of `count`: everything there is was read (a filter may have skipped the rest).
    if (messages.length < count) next = Math.max(next, this.endOfSource());
    return { messages, next };
  }

  /**
   * Behind, the group reads a batch of readBatchSize events whenever its buffer (read and retry)
   * has more than a batch of room below historyBufferSize, as EventStoreDB's does. Reaching the
   * live events (or the end), it goes live again.
   */
  private fill(): void {
    const { historyBufferSize, readBatchSize } = this.config.settings;
    const batch = Math.max(1, readBatchSize);
    const limit = Math.max(historyBufferSize, batch + 1);
    while (!this.live && !this.stopped) {
      if (limit - (this.retries.length + this.fetched.length) <= batch) return;
      const { messages, next } = this.readSource(this.cursor, batch);
      this.cursor = next;
      for (const message of messages) {
        const oldestLive = this.liveBuffer[0];
        if (oldestLive && message.sequence! >= oldestLive.sequence!) {
          this.rejoinLive(message.sequence!);
          return;
        }
        this.push(message);
      }
      if (messages.length < batch) this.rejoinLive(this.cursor);
    }
  }

  /** Catching up met the live events: those not read yet join the read buffer, and it is live. */
  private rejoinLive(from: number): void {
    for (const message of this.liveBuffer.splice(0)) {
      if (message.sequence! >= from) this.push(message);
    }
    this.cursor = Math.max(this.cursor, this.liveCursor);
    this.liveCursor = this.cursor;
    this.live = true;
  }

  /**
   * Events committed since the last look. Each is kept in the live buffer (the newest
   * liveBufferSize); a live group also puts it in the read buffer while that holds fewer than
   * historyBufferSize, and falls behind when it is full.
   */
  private receiveLive(): void {
    const { messages, next } = this.readSource(this.liveCursor, Number.MAX_SAFE_INTEGER);
    this.liveCursor = next;
    const { historyBufferSize, liveBufferSize } = this.config.settings;
    for (const message of messages) {
      this.lastKnown = Math.max(this.lastKnown ?? -1, message.sequence!);
      if (this.live) {
        if (this.fetched.length < historyBufferSize) {
          this.push(message);
          this.cursor = message.sequence! + 1;
        } else this.live = false;
      }
      this.liveBuffer.push(message);
      if (this.liveBuffer.length > liveBufferSize) this.liveBuffer.shift();
    }
  }

  private push(message: Message): void {
    this.fetched.push(message);
    this.window.push({ sequence: message.sequence!, done: false });
    this.lastKnown = Math.max(this.lastKnown ?? -1, message.sequence!);
  }

  // ---- information --------------------------------------------------------------------------

  info() {
    const lastOf = (value: number | undefined) =>
      value === undefined ? '' : this.isAll ? formatPosition(value) : String(value);
    const from = this.config.settings.startFrom;
    const startFrom = this.isAll
      ? from === 'start'
        ? formatPosition(0)
        : from === 'end'
          ? 'C:-1/P:-1'
          : formatPosition(from)
      : from === 'start'
        ? '0'
        : from === 'end'
          ? '-1'
          : String(from);
    // Each info request is a measurement: rates over the time since the previous one.
    const now = performance.now();
    const elapsedMs = now - this.measuredAt;
    const perSecond = (count: number) =>
      elapsedMs > 0 ? Math.floor((count * 1000) / elapsedMs) : 0;
    const countSinceLastMeasurement = this.totalItems - this.measuredItems;
    this.measuredAt = now;
    this.measuredItems = this.totalItems;
    return {
      // EventStoreDB's state names: Behind while reading what is stored, Live once it has read it all.
      status: this.live ? 'Live' : 'Behind',
      averagePerSecond: perSecond(countSinceLastMeasurement),
      countSinceLastMeasurement,
      startFrom,
      lastCheckpointed: lastOf(this.checkpoint),
      lastKnown: lastOf(
        this.lastKnown ?? (this.checkpoint !== undefined ? this.checkpoint : undefined),
      ),
      totalItems: this.totalItems,
      readBufferCount: this.fetched.length,
      liveBufferCount: this.liveBuffer.length,
      retryBufferCount: this.retries.length,
      inFlight: this.inFlight.size,
      outstanding: this.inFlight.size + this.retries.length,
      parked: this.parkedCount(),
      connections: this.consumers.map((c) => {
        const count = c.totalItems - c.measuredItems;
        c.measuredItems = c.totalItems;
        const measurement: ConsumerMeasurement = {
          averageItemsPerSecond: perSecond(count),
          countSinceLastMeasurement: count,
          latency: c.latency?.summary() ?? [],
        };
        return {
          from: c.connection.from,
          username: c.connection.username,
          connectionName: c.connection.connectionName,
          totalItems: c.totalItems,
          inFlight: c.inFlight.size,
          availableSlots: c.connection.bufferSize - c.inFlight.size,
          ...measurement,
        };
      }),
    };
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
