import { readFileSync } from 'node:fs';
import { lockDataDir } from './data-dir.lock';
import { PowerLossFileSystem } from './power-loss.file-system';

const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const withLock = (content: string) =>
  new PowerLossFileSystem(new Map([['/data/LOCK', Buffer.from(content)]]));

describe('lockDataDir', () => {
  it('refuses a directory locked by another live process of this boot', () => {
    const fs = withLock(`${process.ppid} ${bootId}\n`);
    expect(() => lockDataDir(fs, '/data', 'LOCK')).toThrow(/in use by process/);
  });

  it.each([
    ['a torn lock (only a power cut leaves one)', `${process.ppid}`],
    ['a lock of an earlier boot, whose pid may be anyone now', `${process.ppid} other-boot\n`],
    ['a lock of a process that is gone', `999999999 ${bootId}\n`],
  ])('takes over %s', (_case, content) => {
    const fs = withLock(content);
    lockDataDir(fs, '/data', 'LOCK');
    expect(fs.readFile('/data/LOCK').toString()).toBe(`${process.pid} ${bootId}\n`);
  });
});
