import { type DataFile, type FileSystem, frame } from '@app/embedded-storage';

/**
 * An append-only journal with group commit: records appended while a write+fsync is in flight are
 * written together by the next one, so concurrent connections share the cost of one fsync.
 */
export class JournalFile {
  private pending: Buffer[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;
  private bytes = 0;
  private written = 0;
  /** Records appended and fsyncs done: records per fsync shows how much group commit shares. */
  readonly stats = { records: 0, flushes: 0 };

  private constructor(
    private handle: DataFile,
    readonly path: string,
    size: number,
  ) {
    this.bytes = size;
    this.written = size;
  }

  static async open(fs: FileSystem, path: string): Promise<JournalFile> {
    const handle = await fs.open(path);
    return new JournalFile(handle, path, handle.size());
  }

  get size(): number {
    return this.bytes;
  }

  append(payload: Uint8Array): Promise<void> {
    const framed = frame(payload);
    this.pending.push(framed);
    this.bytes += framed.length;
    this.stats.records++;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  /** Waits until everything appended so far is on disk. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const buffers = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          const data = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
          await this.handle.write(data, this.written);
          this.written += data.length;
          await this.handle.datasync();
          this.stats.flushes++;
          for (const w of waiters) w.resolve();
        } catch (error) {
          for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  async close(): Promise<void> {
    await this.drain();
    await this.handle.close();
  }
}
