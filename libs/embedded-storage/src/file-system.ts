import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

// Every byte the servers keep goes through this small interface, so a test can put a file layer
// under it that, at a simulated power cut, keeps only what was fsync'd (PowerLossFileSystem).

/** One open data file; writes are positional, durable only after `datasync`. */
export interface DataFile {
  readonly path: string;
  size(): number;
  read(position: number, length: number): Buffer;
  /** Reads up to `length` bytes at `position` into the start of `target`; returns how many were read. */
  readInto(position: number, target: Buffer, length: number): number;
  write(data: Buffer, position: number): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  exists(path: string): boolean;
  readFile(path: string): Buffer;
  readdir(dir: string): string[];
  /** Creates the directory (and parents) with mode 0700. */
  mkdir(dir: string): void;
  /** Opens read-write, creating the file (mode 0600) when it does not exist. */
  open(path: string): Promise<DataFile>;
  /** Small non-durable files (locks). Mode 0600. */
  writeFile(path: string, data: Buffer | string): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Makes creations, renames and removals in `dir` durable. */
  syncDir(dir: string): void;
}

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

class NodeDataFile implements DataFile {
  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private length: number,
  ) {}

  size(): number {
    return this.length;
  }

  read(position: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.length - position)));
    return out.subarray(0, this.readInto(position, out, out.length));
  }

  readInto(position: number, target: Buffer, length: number): number {
    const wanted = Math.max(0, Math.min(length, target.length, this.length - position));
    let done = 0;
    while (done < wanted) {
      const n = readSync(this.handle.fd, target, done, wanted - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  async write(data: Buffer, position: number): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(
        data,
        written,
        data.length - written,
        position + written,
      );
      written += bytesWritten;
    }
    this.length = Math.max(this.length, position + data.length);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  async truncate(length: number): Promise<void> {
    await this.handle.truncate(length);
    this.length = length;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** The real file system: private modes (files 0600, folders 0700). */
export const nodeFileSystem: FileSystem = {
  exists: (path) => existsSync(path),
  readFile: (path) => readFileSync(path),
  readdir: (dir) => readdirSync(dir),
  mkdir: (dir) => {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  },
  async open(path) {
    const handle = await open(path, existsSync(path) ? 'r+' : 'w+', FILE_MODE);
    const { size } = await handle.stat();
    return new NodeDataFile(path, handle, size);
  },
  writeFile: (path, data) => writeFileSync(path, data, { mode: FILE_MODE }),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => rmSync(path, { force: true }),
  syncDir: (dir) => {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
};
