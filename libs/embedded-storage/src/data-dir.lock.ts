import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FileSystem } from './file-system';

/**
 * One server per data directory: a second one would interleave writes and damage the files. The
 * lock file holds the owner's pid and the machine's boot id, written whole before the server
 * serves anything. A lock of an earlier boot (its pid may belong to anything now), a torn one (only
 * a power cut leaves that) or one whose pid is gone was left behind, and is taken over.
 * Returns the lock file's path, to unlink on close.
 */
export function lockDataDir(fs: FileSystem, dir: string, fileName: string): string {
  const path = join(dir, fileName);
  if (fs.exists(path)) {
    const holder = /^(\d+) (\S+)\n$/.exec(fs.readFile(path).toString('utf8'));
    const pid = holder ? Number(holder[1]) : undefined;
    if (pid && pid !== process.pid && holder?.[2] === bootId() && processAlive(pid)) {
      throw new Error(`data directory ${dir} is in use by process ${pid}`);
    }
  }
  fs.writeFile(path, `${process.pid} ${bootId()}\n`);
  return path;
}

let cachedBootId: string | undefined;

function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || 'unknown';
    } catch {
      cachedBootId = 'unknown';
    }
  }
  return cachedBootId;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
