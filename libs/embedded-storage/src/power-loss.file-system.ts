import { basename, dirname } from 'node:path';
import { type DataFile, type FileSystem } from './file-system';
import { SECTOR_SIZE as SECTOR } from './frame-scan';

// A file layer for tests that knows what a power cut would leave. It works in memory and records
// every operation; `crashAt(n, random)` rebuilds the disk as it could be after a cut following the
// n-th operation: file contents as of their last datasync, directory entries as of their folder's
// last sync, plus, for each file and each folder, an in-order prefix of what came after (the
// kernel writes back in order here), the last kept write possibly torn. A kill -9 keeps the page
// cache; this does not, which is what makes a missing fsync visible to a test.

type Op =
  | { kind: 'write'; inode: number; data: Buffer; position: number }
  | { kind: 'truncate'; inode: number; length: number }
  | { kind: 'datasync'; inode: number }
  | { kind: 'link'; path: string; inode: number }
  | { kind: 'unlink'; path: string }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'syncDir'; dir: string };

/** How a cut may tear the last write that reaches the disk. */
export type TearMode =
  /** A byte prefix of the write, the file ending there. */
  | 'prefix'
  /** The file's new size reached the disk, only some sectors of the data did: zeros after them. */
  | 'zero-filled';

/** A seeded generator (mulberry32), so a failing crash point can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class PowerLossFileSystem implements FileSystem {
  private readonly ops: Op[] = [];
  private readonly contents = new Map<number, Buffer>();
  private readonly names = new Map<string, number>();
  private readonly dirs = new Set<string>();
  private nextInode = 1;
  private syncGate: Promise<void> | undefined;
  // The durable state the recording starts from.
  private readonly initialNames: ReadonlyMap<string, number>;
  private readonly initialContents = new Map<number, Buffer>();

  /** Starts from files that are all durable (the disk after a cut). */
  constructor(files: ReadonlyMap<string, Buffer> = new Map()) {
    for (const [path, data] of files) {
      const inode = this.nextInode++;
      this.contents.set(inode, Buffer.from(data));
      this.initialContents.set(inode, Buffer.from(data));
      this.names.set(path, inode);
      this.dirs.add(dirname(path));
    }
    this.initialNames = new Map(this.names);
  }

  /** Operations so far: a crash point is a number between 0 and this. */
  get operationCount(): number {
    return this.ops.length;
  }

  /** Current (page cache) view of every file, for assertions. */
  files(): Map<string, Buffer> {
    return new Map([...this.names].map(([path, inode]) => [path, this.content(inode)]));
  }

  /**
   * Holds every datasync until the returned function is called: the write is in the page cache,
   * not on disk, and whatever waits for durability must wait too.
   */
  holdSyncs(): () => void {
    let release!: () => void;
    this.syncGate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.syncGate = undefined;
      release();
    };
  }

  exists(path: string): boolean {
    return this.names.has(path) || this.dirs.has(path);
  }

  readFile(path: string): Buffer {
    return Buffer.from(this.content(this.inodeOf(path)));
  }

  readdir(dir: string): string[] {
    return [...this.names.keys()].filter((p) => dirname(p) === dir).map((p) => basename(p));
  }

  mkdir(dir: string): void {
    // Folders are taken as durable: the servers create them once, before any data.
    for (let d = dir; !this.dirs.has(d) && d !== dirname(d); d = dirname(d)) this.dirs.add(d);
  }

  open(path: string): Promise<DataFile> {
    let inode = this.names.get(path);
    if (inode === undefined) {
      inode = this.nextInode++;
      this.contents.set(inode, Buffer.alloc(0));
      this.record({ kind: 'link', path, inode });
    }
    return Promise.resolve(new RecordedFile(path, inode, this));
  }

  writeFile(path: string, data: Buffer | string): void {
    const inode = this.nextInode++;
    this.contents.set(inode, Buffer.alloc(0));
    this.record({ kind: 'link', path, inode });
    this.record({ kind: 'write', inode, data: Buffer.from(data), position: 0 });
  }

  rename(from: string, to: string): void {
    this.inodeOf(from);
    this.record({ kind: 'rename', from, to });
  }

  unlink(path: string): void {
    if (this.names.has(path)) this.record({ kind: 'unlink', path });
  }

  syncDir(dir: string): void {
    this.record({ kind: 'syncDir', dir });
  }

  // ---- used by RecordedFile ----------------------------------------------------------------

  content(inode: number): Buffer {
    const data = this.contents.get(inode);
    if (!data) throw new Error(`inode ${inode} is gone`);
    return data;
  }

  record(op: Op): void {
    this.ops.push(op);
    apply(op, this.contents, this.names);
  }

  async datasync(inode: number): Promise<void> {
    while (this.syncGate) await this.syncGate;
    this.record({ kind: 'datasync', inode });
  }

  private inodeOf(path: string): number {
    const inode = this.names.get(path);
    if (inode === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file, '${path}'`), { code: 'ENOENT' });
    }
    return inode;
  }

  /**
   * The disk after a power cut following operation `at` (0 = before any). Returns a fresh file
   * system holding only that state, for the server to recover from.
   */
  crashAt(at: number, random: () => number, tear: TearMode = 'prefix'): PowerLossFileSystem {
    const durable = new Map<number, Buffer>();
    const pendingData = new Map<number, Op[]>();
    const durableNames = new Map<string, number>();
    const pendingDirs = new Map<string, Op[]>();
    for (const [path, inode] of this.initialNames) durableNames.set(path, inode);
    for (const [inode, data] of this.initialContents) durable.set(inode, data);

    for (const op of this.ops.slice(0, at)) {
      switch (op.kind) {
        case 'write':
        case 'truncate':
          pending(pendingData, op.inode).push(op);
          break;
        case 'datasync': {
          const ops = pendingData.get(op.inode) ?? [];
          const contents = new Map([[op.inode, durable.get(op.inode) ?? Buffer.alloc(0)]]);
          for (const dataOp of ops) apply(dataOp, contents, new Map());
          durable.set(op.inode, contents.get(op.inode)!);
          pendingData.delete(op.inode);
          break;
        }
        case 'link':
          durable.set(op.inode, durable.get(op.inode) ?? Buffer.alloc(0));
          pending(pendingDirs, dirname(op.path)).push(op);
          break;
        case 'unlink':
          pending(pendingDirs, dirname(op.path)).push(op);
          break;
        case 'rename':
          // Both folders are the same for every rename the servers do.
          pending(pendingDirs, dirname(op.to)).push(op);
          break;
        case 'syncDir': {
          for (const dirOp of pendingDirs.get(op.dir) ?? []) apply(dirOp, new Map(), durableNames);
          pendingDirs.delete(op.dir);
          break;
        }
      }
    }
    // What else reached the disk: an in-order prefix per file and per folder.
    for (const [inode, ops] of pendingData) {
      const keep = Math.floor(random() * (ops.length + 1));
      const contents = new Map([[inode, durable.get(inode) ?? Buffer.alloc(0)]]);
      ops.slice(0, keep).forEach((op) => apply(op, contents, new Map()));
      const torn = ops[keep];
      if (torn?.kind === 'write') tearWrite(contents, torn, random, tear);
      durable.set(inode, contents.get(inode)!);
    }
    for (const ops of pendingDirs.values()) {
      const keep = Math.floor(random() * (ops.length + 1));
      ops.slice(0, keep).forEach((op) => apply(op, new Map(), durableNames));
    }
    const files = new Map<string, Buffer>();
    for (const [path, inode] of durableNames)
      files.set(path, durable.get(inode) ?? Buffer.alloc(0));
    const after = new PowerLossFileSystem(files);
    for (const dir of this.dirs) after.dirs.add(dir);
    return after;
  }
}

function pending<K>(map: Map<K, Op[]>, key: K): Op[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

function apply(op: Op, contents: Map<number, Buffer>, names: Map<string, number>): void {
  switch (op.kind) {
    case 'write': {
      const before = contents.get(op.inode);
      if (!before) return;
      const end = op.position + op.data.length;
      const after = Buffer.alloc(Math.max(before.length, end));
      before.copy(after);
      op.data.copy(after, op.position);
      contents.set(op.inode, after);
      return;
    }
    case 'truncate': {
      const before = contents.get(op.inode);
      if (!before) return;
      const after = Buffer.alloc(op.length);
      before.copy(after, 0, 0, Math.min(op.length, before.length));
      contents.set(op.inode, after);
      return;
    }
    case 'link':
      names.set(op.path, op.inode);
      return;
    case 'unlink':
      names.delete(op.path);
      return;
    case 'rename': {
      const inode = names.get(op.from);
      if (inode === undefined) return;
      names.delete(op.from);
      names.set(op.to, inode);
      return;
    }
    case 'datasync':
    case 'syncDir':
      return;
  }
}

function tearWrite(
  contents: Map<number, Buffer>,
  op: Extract<Op, { kind: 'write' }>,
  random: () => number,
  tear: TearMode,
): void {
  const before = contents.get(op.inode)!;
  if (tear === 'prefix') {
    const keep = Math.floor(random() * op.data.length);
    apply({ ...op, data: op.data.subarray(0, keep) }, contents, new Map());
    return;
  }
  // Sectors are written whole or not at all; the size covers the whole write.
  const end = op.position + op.data.length;
  const firstBoundary = Math.ceil(op.position / SECTOR) * SECTOR;
  const sectors = Math.max(0, Math.ceil((end - firstBoundary) / SECTOR));
  const boundary = Math.min(end, firstBoundary + Math.floor(random() * (sectors + 1)) * SECTOR);
  const after = Buffer.alloc(Math.max(before.length, end));
  before.copy(after);
  op.data.copy(after, op.position, 0, Math.max(0, boundary - op.position));
  contents.set(op.inode, after);
}

class RecordedFile implements DataFile {
  constructor(
    readonly path: string,
    private readonly inode: number,
    private readonly fs: PowerLossFileSystem,
  ) {}

  size(): number {
    return this.fs.content(this.inode).length;
  }

  read(position: number, length: number): Buffer {
    return Buffer.from(this.fs.content(this.inode).subarray(position, position + length));
  }

  readInto(position: number, target: Buffer, length: number): number {
    const content = this.fs.content(this.inode);
    if (position >= content.length) return 0;
    return content.copy(target, 0, position, position + Math.min(length, target.length));
  }

  write(data: Buffer, position: number): Promise<void> {
    this.fs.record({ kind: 'write', inode: this.inode, data: Buffer.from(data), position });
    return Promise.resolve();
  }

  datasync(): Promise<void> {
    return this.fs.datasync(this.inode);
  }

  truncate(length: number): Promise<void> {
    this.fs.record({ kind: 'truncate', inode: this.inode, length });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
