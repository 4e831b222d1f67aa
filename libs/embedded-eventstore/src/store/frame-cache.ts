import { crc32 } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { FRAME_HEADER_SIZE } from '@app/embedded-storage';
import { forEachEventRanges, type LoggedEvent, TOMBSTONE_FLAG } from '../storage/log-frame.codec';
import {
  layoutRecordedEvent,
  type RecordedEventLayout,
  recordedEventSizeFromRanges,
  TOMBSTONE_REVISION,
  writeRecordedEvent,
  writeRecordedEventFromRanges,
} from '../protocol/read-response.encoder';
import type { EventTable, Payloads } from './event-table';

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
// A miss right after the previous miss's window reads this much ahead (a read going through the
// log in order); any other miss reads a small window around its own frame.
const SEQUENTIAL_READ = 256 * 1024;
const SINGLE_READ = 8 * 1024;
// A miss reads at least the whole of its frame when the table shows where the frame ends, up to
// this much (a larger frame reads its header first, then the frame).
const MAX_KNOWN_READ = 8 * 1024 * 1024;
// What a cached frame costs beyond its bytes (entry, offsets, cache bookkeeping), counted in the bound.
const ENTRY_OVERHEAD = 160;

/** The RecordedEvent layout of a logged event (a tombstone carries the largest revision). */
export function recordedLayoutOf(event: LoggedEvent): RecordedEventLayout {
  const tombstone = (event.flags & TOMBSTONE_FLAG) !== 0;
  return layoutRecordedEvent({
    ...event,
    revision: tombstone ? TOMBSTONE_REVISION : event.revision,
  });
}

interface CachedFrame {
  /** Table index of the frame's first event. */
  first: number;
  /** End offset in `bytes` of each event's encoded RecordedEvent. */
  ends: Uint32Array;
  bytes: Buffer;
}

/**
 * File mode: payloads stay in the log files. A read takes the event's frame from its chunk
 * (verifying the frame's crc32 again), encodes the frame's events as RecordedEvents once and keeps
 * them in an LRU cache bounded in bytes; new appends go into the cache as they are written, so
 * live subscribers rarely read the disk.
 */
export class FramePayloads implements Payloads {
  private readonly cache: LRUCache<number, CachedFrame>;
  private lastKey = -1;
  private last: CachedFrame | undefined;
  private nextSequential = -1;
  // Frames are read from the log into this one buffer (grown to the largest window read) and
  // checked and transcoded from there: a miss allocates only the cached RecordedEvents.
  private window = Buffer.allocUnsafeSlow(SEQUENTIAL_READ);
  misses = 0;

  constructor(
    private readonly table: EventTable,
    private readonly readInto: (offset: number, length: number, target: Buffer) => Buffer,
    readonly capacity: number = DEFAULT_CACHE_BYTES,
  ) {
    this.cache = new LRUCache<number, CachedFrame>({
      maxSize: Math.max(1, capacity),
      sizeCalculation: (frame) => frame.bytes.length + frame.ends.byteLength + ENTRY_OVERHEAD,
    });
  }

  add(): void {
    // Payloads are in the log; `remember` caches a frame's events when they are written.
  }

  bytes(): number {
    return this.capacity;
  }

  /** Bytes the cache holds now. */
  cachedBytes(): number {
    return this.cache.calculatedSize;
  }

  recorded(i: number): Buffer {
    const key = this.table.frame[i];
    let frame = key === this.lastKey ? this.last : this.cache.get(key);
    frame ??= this.load(i);
    this.lastKey = key;
    this.last = frame;
    const k = i - frame.first;
    return frame.bytes.subarray(k === 0 ? 0 : frame.ends[k - 1], frame.ends[k]);
  }

  /** Caches the events of a frame just appended (first event at table index `first`). */
  remember(frameOffset: number, first: number, layouts: readonly RecordedEventLayout[]): void {
    this.cache.set(frameOffset, encodeFrameEvents(first, layouts));
  }

  private load(i: number): CachedFrame {
    const table = this.table;
    const offset = table.frame[i];
    let first = i;
    while (first > 0 && table.frame[first - 1] === offset) first--;
    let after = i + 1;
    while (after < table.length && table.frame[after] === offset) after++;
    this.misses += 1;
    let length = offset === this.nextSequential ? SEQUENTIAL_READ : SINGLE_READ;
    // The next frame in the table begins at or after the end of this one.
    const known = after < table.length ? table.frame[after] - offset : 0;
    if (known > length && known <= MAX_KNOWN_READ) length = known;
    let window = this.read(offset, length);
    let wanted: CachedFrame | undefined;
    let index = first;
    let at = 0;
    while (at + FRAME_HEADER_SIZE <= window.length) {
      const size = FRAME_HEADER_SIZE + window.readUInt32LE(at);
      if (at + size > window.length) {
        if (at > 0) break;
        window = this.read(offset, size);
        if (window.length < size) break;
      }
      const frameOffset = offset + at;
      // Frames after the wanted one are cached only while they line up with the table.
      if (at > 0 && (index >= table.length || table.frame[index] !== frameOffset)) break;
      const payload = window.subarray(at + FRAME_HEADER_SIZE, at + size);
      if (crc32(payload) !== window.readUInt32LE(at + 4)) {
        if (at > 0) break;
        throw new Error(`the frame at log offset ${frameOffset} fails its checksum`);
      }
      const frame = transcodeFrame(index, payload);
      if (frame) {
        this.cache.set(frameOffset, frame);
        wanted ??= frame;
        index += frame.ends.length;
      }
      at += size;
    }
    this.nextSequential = offset + at;
    if (!wanted || wanted.first !== first)
      throw new Error(`no event frame at log offset ${offset}`);
    return wanted;
  }

  private read(offset: number, length: number): Buffer {
    if (this.window.length < length) this.window = Buffer.allocUnsafeSlow(length);
    return this.readInto(offset, length, this.window);
  }
}

// The events of a frame read back from the log, as RecordedEvents: sizes in a first pass over
// the payload, bytes in a second, with nothing allocated per event.
function transcodeFrame(first: number, payload: Buffer): CachedFrame | undefined {
  const sizes: number[] = [];
  forEachEventRanges(payload, (flags, r) => {
    if ((flags & TOMBSTONE_FLAG) !== 0) r.revision = TOMBSTONE_REVISION;
    sizes.push(recordedEventSizeFromRanges(r));
  });
  if (sizes.length === 0) return undefined;
  const ends = new Uint32Array(sizes.length);
  let size = 0;
  sizes.forEach((eventSize, k) => (ends[k] = size += eventSize));
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  forEachEventRanges(payload, (flags, r) => {
    if ((flags & TOMBSTONE_FLAG) !== 0) r.revision = TOMBSTONE_REVISION;
    at = writeRecordedEventFromRanges(bytes, at, payload, r);
  });
  return { first, ends, bytes };
}

function encodeFrameEvents(first: number, layouts: readonly RecordedEventLayout[]): CachedFrame {
  const ends = new Uint32Array(layouts.length);
  let size = 0;
  layouts.forEach((layout, k) => (ends[k] = size += layout.size));
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const layout of layouts) at = writeRecordedEvent(bytes, at, layout);
  return { first, ends, bytes };
}
