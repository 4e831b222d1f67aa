import { join } from 'node:path';
import { type FileSystem } from './file-system';

/**
 * One server per data directory: a second one would interleave writes and damage the files. The
 * lock file holds the owner's pid; one left behind by a killed server (its pid gone) is taken over.
 * Returns the lock file's path, to unlink on close.
 */
export function lockDataDir(fs: FileSystem, dir: string, fileName: string): string {
  const path = join(dir, fileName);
  if (fs.exists(path)) {
    const holder = Number.parseInt(fs.readFile(path).toString('utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new Error(`data directory ${dir} is in use by process ${holder}`);
    }
  }
  fs.writeFile(path, String(process.pid));
  return path;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
