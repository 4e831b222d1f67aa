import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEventLog } from './event-log';
import { encodeFrame, type LoggedEvent } from './log-frame.codec';

function event(streamName: string, revision: number): LoggedEvent {
  return {
    flags: 0,
    streamName,
    revision,
    position: revision,
    createdMs: Date.now(),
    id: randomUUID(),
    type: 'Happened',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ revision })),
    metadata: Buffer.alloc(0),
  };
}

async function openLog(dir: string) {
  const frames: LoggedEvent[][] = [];
  const opened = await FileEventLog.open(dir, (events) => frames.push(events));
  return { ...opened, frames };
}

describe(FileEventLog.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'event-log-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays every durable frame in order after reopening', async () => {
    const { log } = await openLog(dir);
    const written = [[event('a', 0), event('a', 1)], [event('b', 0)], [event('a', 2)]];
    await Promise.all(written.map((events) => log.append(encodeFrame(events))));
    await log.close();
    const reopened = await openLog(dir);
    expect(reopened.frames).toEqual(written);
    expect(reopened.recovery).toMatchObject({ frames: 3, events: 4, truncatedBytes: 0 });
    await reopened.log.close();
  });

  it('cuts off a torn tail at any byte and keeps appending after the last intact frame', async () => {
    const intact = encodeFrame([event('a', 0)]);
    const torn = encodeFrame([event('a', 1), event('a', 2)]);
    for (const cut of [1, 7, 8, 20, torn.length - 1]) {
      writeFileSync(join(dir, 'events.log'), Buffer.concat([intact, torn.subarray(0, cut)]));
      const { log, frames, recovery } = await openLog(dir);
      expect(frames).toHaveLength(1);
      expect(recovery.truncatedBytes).toBe(cut);
      expect(statSync(join(dir, 'events.log')).size).toBe(intact.length);
      expect(log.endOffset).toBe(intact.length);
      await log.append(encodeFrame([event('a', 1)]));
      await log.close();
      const again = await openLog(dir);
      expect(again.frames.map((f) => f[0].revision)).toEqual([0, 1]);
      await again.log.close();
    }
  });

  it('refuses to start on a damaged frame followed by readable ones, and leaves the file alone', async () => {
    const first = encodeFrame([event('a', 0)]);
    const second = encodeFrame([event('a', 1)]);
    const third = encodeFrame([event('a', 2)]);
    second[second.length - 1] ^= 0xff;
    const bytes = Buffer.concat([first, second, third]);
    writeFileSync(join(dir, 'events.log'), bytes);
    await expect(openLog(dir)).rejects.toThrow(
      new RegExp(
        `events\\.log is damaged at offset ${first.length} \\(checksum mismatch\\); 1 readable frame`,
      ),
    );
    expect(readFileSync(join(dir, 'events.log'))).toEqual(bytes);
  });

  it('shares one flush among appends issued together (group commit)', async () => {
    const { log } = await openLog(dir);
    const appends = Array.from({ length: 50 }, (_, i) => log.append(encodeFrame([event('g', i)])));
    await Promise.all(appends);
    // The first append flushes alone; the 49 queued behind it share the next flush.
    expect(log.flushes).toBeLessThanOrEqual(2);
    await log.close();
    const reopened = await openLog(dir);
    expect(reopened.frames.map((f) => f[0].revision)).toEqual([...Array(50).keys()]);
    await reopened.log.close();
  });

  it('refuses a data directory held by another live process', async () => {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(join(dir, 'LOCK'), `${process.ppid} ${bootId}\n`);
    await expect(openLog(dir)).rejects.toThrow(/in use/);
  });

  it('takes over a lock left behind by a dead process', async () => {
    writeFileSync(join(dir, 'LOCK'), '999999999');
    appendFileSync(join(dir, 'events.log'), encodeFrame([event('z', 0)]));
    const { log, frames } = await openLog(dir);
    expect(frames).toHaveLength(1);
    await log.close();
  });
});
