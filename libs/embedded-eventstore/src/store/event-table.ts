// Columnar in-memory index of every event in log order: a handful of typed-array slots per event
// instead of one JS object per event. Where an event's encoded RecordedEvent bytes come from is
// the table's `payloads`: slabs in memory (mem mode) or the log files through a bounded cache.
const INITIAL_CAPACITY = 1024;
// Columns grow by a quarter, at most by MAX_GROWTH rows: at tens of millions of events the slack
// of doubling would be most of the index's memory.
const GROWTH = 1.25;
const MAX_GROWTH = 1 << 20;
const SLAB_SIZE = 4 * 1024 * 1024;

/** Where the encoded RecordedEvent of a table row is kept. */
export interface Payloads {
  /** Row `i` was pushed; `write` puts its encoded RecordedEvent (of `size` bytes) somewhere. */
  add(i: number, size: number, write: (out: Buffer, offset: number) => unknown): void;
  recorded(i: number): Buffer;
  /** Bytes held for payloads (a cache counts its bound, not what it holds now). */
  bytes(): number;
  /** The table's columns grew to `capacity` rows. */
  grow?(capacity: number): void;
}

export interface TableRow {
  position: number;
  created: number;
  stream: number;
  type: number;
  flags: number;
  id: Buffer;
  /** Logical log offset of the frame holding the event. */
  frame: number;
}

export class EventTable {
  length = 0;
  private capacity = INITIAL_CAPACITY;
  position = new Float64Array(INITIAL_CAPACITY);
  created = new Float64Array(INITIAL_CAPACITY);
  frame = new Float64Array(INITIAL_CAPACITY);
  stream = new Uint32Array(INITIAL_CAPACITY);
  type = new Uint32Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  ids = Buffer.alloc(INITIAL_CAPACITY * 16);
  payloads: Payloads = new SlabPayloads();
  bytesStored = 0;

  push(row: TableRow, recordedSize = 0, writeRecorded?: (out: Buffer, offset: number) => unknown) {
    const i = this.reserve(1);
    this.position[i] = row.position;
    this.created[i] = row.created;
    this.frame[i] = row.frame;
    this.stream[i] = row.stream;
    this.type[i] = row.type;
    this.flags[i] = row.flags;
    row.id.copy(this.ids, i * 16);
    if (writeRecorded) {
      this.payloads.add(i, recordedSize, writeRecorded);
      this.bytesStored += recordedSize;
    }
    return i;
  }

  /** Makes room for `count` more rows and returns the index of the first. */
  reserve(count: number): number {
    const first = this.length;
    if (first + count > this.capacity) {
      const step = Math.min(Math.ceil(this.capacity * (GROWTH - 1)), MAX_GROWTH);
      this.grow(Math.max(this.capacity + step, first + count));
    }
    this.length += count;
    return first;
  }

  /** Makes room for `rows` rows in all (a start that knows how many events it will load). */
  ensureCapacity(rows: number): void {
    if (rows > this.capacity) this.grow(rows);
  }

  // Bytes held by the table: payload slabs (or the cache bound) plus the columns at capacity.
  footprint(): { slabBytes: number; columnBytes: number } {
    const columns = [
      this.position,
      this.created,
      this.frame,
      this.stream,
      this.type,
      this.flags,
      this.ids,
    ];
    return {
      slabBytes: this.payloads.bytes(),
      columnBytes: columns.reduce((sum, column) => sum + column.byteLength, 0),
    };
  }

  recorded(i: number): Buffer {
    return this.payloads.recorded(i);
  }

  id(i: number): string {
    const hex = this.ids.toString('hex', i * 16, i * 16 + 16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  idEquals(i: number, id: Buffer): boolean {
    return this.ids.compare(id, 0, 16, i * 16, i * 16 + 16) === 0;
  }

  // First index whose position is >= `position` (positions grow with the index).
  lowerBound(position: number, end = this.length): number {
    return lowerBound(this.position, position, end);
  }

  // First index whose frame is at or after log offset `offset` (frames grow with the index).
  lowerBoundFrame(offset: number, end = this.length): number {
    return lowerBound(this.frame, offset, end);
  }

  private grow(capacity: number): void {
    this.capacity = capacity;
    this.position = resized(this.position, new Float64Array(capacity));
    this.created = resized(this.created, new Float64Array(capacity));
    this.frame = resized(this.frame, new Float64Array(capacity));
    this.stream = resized(this.stream, new Uint32Array(capacity));
    this.type = resized(this.type, new Uint32Array(capacity));
    this.flags = resized(this.flags, new Uint8Array(capacity));
    const ids = Buffer.alloc(capacity * 16);
    this.ids.copy(ids);
    this.ids = ids;
    this.payloads.grow?.(capacity);
  }
}

function lowerBound(column: Float64Array, value: number, end: number): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (column[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function resized<T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}

/** mem mode: every event's encoded RecordedEvent packed into large slabs, for the store's life. */
export class SlabPayloads implements Payloads {
  private slabNo = new Uint32Array(INITIAL_CAPACITY);
  private slabOffset = new Uint32Array(INITIAL_CAPACITY);
  private byteLength = new Uint32Array(INITIAL_CAPACITY);
  private slabs: Buffer[] = [];
  private slabUsed = SLAB_SIZE;

  add(i: number, size: number, write: (out: Buffer, offset: number) => unknown): void {
    if (this.slabUsed + size > SLAB_SIZE || this.slabs.length === 0) {
      this.slabs.push(Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size)));
      this.slabUsed = 0;
    }
    const slab = this.slabs.length - 1;
    write(this.slabs[slab], this.slabUsed);
    this.slabNo[i] = slab;
    this.slabOffset[i] = this.slabUsed;
    this.byteLength[i] = size;
    this.slabUsed += size;
  }

  recorded(i: number): Buffer {
    const offset = this.slabOffset[i];
    return this.slabs[this.slabNo[i]].subarray(offset, offset + this.byteLength[i]);
  }

  bytes(): number {
    const columns =
      this.slabNo.byteLength + this.slabOffset.byteLength + this.byteLength.byteLength;
    return this.slabs.reduce((sum, slab) => sum + slab.length, columns);
  }

  grow(capacity: number): void {
    this.slabNo = resized(this.slabNo, new Uint32Array(capacity));
    this.slabOffset = resized(this.slabOffset, new Uint32Array(capacity));
    this.byteLength = resized(this.byteLength, new Uint32Array(capacity));
  }
}
