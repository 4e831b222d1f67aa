// Columnar in-memory index of every event in log order: a handful of typed-array slots per event
// plus its encoded RecordedEvent bytes packed into large slabs, instead of one JS object per event.
const INITIAL_CAPACITY = 1024;
const SLAB_SIZE = 4 * 1024 * 1024;

export class EventTable {
  length = 0;
  private capacity = INITIAL_CAPACITY;
  position = new Float64Array(INITIAL_CAPACITY);
  revision = new Float64Array(INITIAL_CAPACITY);
  created = new Float64Array(INITIAL_CAPACITY);
  stream = new Uint32Array(INITIAL_CAPACITY);
  type = new Uint32Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  private slabNo = new Uint32Array(INITIAL_CAPACITY);
  private slabOffset = new Uint32Array(INITIAL_CAPACITY);
  private byteLength = new Uint32Array(INITIAL_CAPACITY);
  private ids = Buffer.alloc(INITIAL_CAPACITY * 16);
  private slabs: Buffer[] = [];
  private slabUsed = SLAB_SIZE;
  bytesStored = 0;

  push(row: {
    position: number;
    revision: number;
    created: number;
    stream: number;
    type: number;
    flags: number;
    id: Buffer;
    recordedSize: number;
    writeRecorded: (out: Buffer, offset: number) => unknown;
  }): number {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.position[i] = row.position;
    this.revision[i] = row.revision;
    this.created[i] = row.created;
    this.stream[i] = row.stream;
    this.type[i] = row.type;
    this.flags[i] = row.flags;
    row.id.copy(this.ids, i * 16);
    const size = row.recordedSize;
    if (this.slabUsed + size > SLAB_SIZE || this.slabs.length === 0) {
      this.slabs.push(Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size)));
      this.slabUsed = 0;
    }
    const slab = this.slabs.length - 1;
    row.writeRecorded(this.slabs[slab], this.slabUsed);
    this.slabNo[i] = slab;
    this.slabOffset[i] = this.slabUsed;
    this.byteLength[i] = size;
    this.slabUsed += size;
    this.bytesStored += size;
    return i;
  }

  // Bytes held by the table: slabs as allocated plus the typed-array columns at their capacity.
  footprint(): { slabBytes: number; columnBytes: number } {
    const columns = [
      this.position,
      this.revision,
      this.created,
      this.stream,
      this.type,
      this.flags,
      this.slabNo,
      this.slabOffset,
      this.byteLength,
      this.ids,
    ];
    return {
      slabBytes: this.slabs.reduce((sum, slab) => sum + slab.length, 0),
      columnBytes: columns.reduce((sum, column) => sum + column.byteLength, 0),
    };
  }

  recorded(i: number): Buffer {
    const offset = this.slabOffset[i];
    return this.slabs[this.slabNo[i]].subarray(offset, offset + this.byteLength[i]);
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
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.position[mid] < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    this.capacity *= 2;
    this.position = resized(this.position, new Float64Array(this.capacity));
    this.revision = resized(this.revision, new Float64Array(this.capacity));
    this.created = resized(this.created, new Float64Array(this.capacity));
    this.stream = resized(this.stream, new Uint32Array(this.capacity));
    this.type = resized(this.type, new Uint32Array(this.capacity));
    this.flags = resized(this.flags, new Uint8Array(this.capacity));
    this.slabNo = resized(this.slabNo, new Uint32Array(this.capacity));
    this.slabOffset = resized(this.slabOffset, new Uint32Array(this.capacity));
    this.byteLength = resized(this.byteLength, new Uint32Array(this.capacity));
    const ids = Buffer.alloc(this.capacity * 16);
    this.ids.copy(ids);
    this.ids = ids;
  }
}

function resized<T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
