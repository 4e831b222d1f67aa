import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileSystem, nodeFileSystem } from './file-system';
import { PowerLossFileSystem } from './power-loss.file-system';

const systems: [string, () => FileSystem][] = [
  ['the real file system', () => nodeFileSystem],
  ['PowerLossFileSystem', () => new PowerLossFileSystem()],
];

describe.each(systems)('DataFile.readInto on %s', (_name, makeFs) => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'read-into-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function fileWith(bytes: string) {
    const fs = makeFs();
    fs.mkdir(dir);
    const file = await fs.open(join(dir, 'data'));
    await file.write(Buffer.from(bytes), 0);
    return file;
  }

  it('fills the start of the target with the bytes read, as read() returns them', async () => {
    const file = await fileWith('0123456789');
    const target = Buffer.alloc(8, '.');
    expect(file.readInto(2, target, 5)).toBe(5);
    expect(target.toString()).toBe('23456...');
    expect(file.read(2, 5).toString()).toBe('23456');
    await file.close();
  });

  it('stops at the end of the file, the target length and reads nothing past the end', async () => {
    const file = await fileWith('0123456789');
    const target = Buffer.alloc(6, '.');
    expect(file.readInto(7, target, 6)).toBe(3);
    expect(target.toString()).toBe('789...');
    expect(file.readInto(0, target, 100)).toBe(6);
    expect(target.toString()).toBe('012345');
    expect(file.readInto(10, target, 4)).toBe(0);
    expect(file.readInto(50, target, 4)).toBe(0);
    await file.close();
  });
});
