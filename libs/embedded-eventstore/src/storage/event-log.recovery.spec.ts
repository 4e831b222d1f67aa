import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEventLog, LOG_FILE, repairEventLog } from './event-log';
import { DamagedFileError } from '@app/embedded-storage';
import { encodeFrame, type LoggedEvent } from './log-frame.codec';

function event(streamName: string, revision: number): LoggedEvent {
  return {
    flags: 0,
    streamName,
    revision,
    position: revision,
    createdMs: 1_700_000_000_000,
    id: randomUUID(),
    type: 'Happened',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ revision, note: 'x'.repeat(revision * 7) })),
    metadata: Buffer.alloc(0),
  };
}

const FRAMES = 12;

/** A log of FRAMES frames, each of its own stream (so a lost frame leaves no hole elsewhere). */
function buildLog(): { bytes: Buffer; frames: LoggedEvent[][]; starts: number[] } {
  const frames = Array.from({ length: FRAMES }, (_, k) =>
    Array.from({ length: 1 + (k % 3) }, (_e, r) => event(`s-${k}`, r)),
  );
  const encoded = frames.map((f) => encodeFrame(f));
  const starts: number[] = [];
  let offset = 0;
  for (const frame of encoded) {
    starts.push(offset);
    offset += frame.length;
  }
  return { bytes: Buffer.concat(encoded), frames, starts };
}

function frameAt(starts: number[], byte: number): number {
  let k = 0;
  while (k + 1 < starts.length && starts[k + 1] <= byte) k++;
  return k;
}

async function openLog(dir: string, lines: string[] = []) {
  const frames: LoggedEvent[][] = [];
  const opened = await FileEventLog.open(dir, (events) => frames.push(events), {
    log: (line) => lines.push(line),
  });
  return { ...opened, frames, lines };
}

describe('event log recovery: damage is never silent', () => {
  let dir: string;
  const { bytes, frames, starts } = buildLog();
  const last = starts[FRAMES - 1];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'event-log-recovery-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  // Start, middle and last frame: inside the length field, the checksum, the payload's first,
  // middle and last byte; plus positions spread over the whole file.
  const positions = new Set<number>();
  for (const k of [0, Math.floor(FRAMES / 2), FRAMES - 1]) {
    const start = starts[k];
    const end = k + 1 < FRAMES ? starts[k + 1] : bytes.length;
    for (const p of [
      start,
      start + 3,
      start + 5,
      start + 8,
      Math.floor((start + end) / 2),
      end - 1,
    ])
      positions.add(p);
  }
  for (let p = 0; p < bytes.length; p += 37) positions.add(p);

  it.each([...positions].sort((a, b) => a - b))(
    'a flipped bit at byte %i refuses to start, naming the file and the damaged frame offset; --repair keeps every other frame',
    async (position) => {
      for (const bit of [0, 7]) {
        const damaged = Buffer.from(bytes);
        damaged[position] ^= 1 << bit;
        writeFileSync(join(dir, LOG_FILE), damaged);
        const k = frameAt(starts, position);
        const error = await openLog(dir).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DamagedFileError);
        const message = (error as Error).message;
        expect(message).toContain(join(dir, LOG_FILE));
        expect(message).toContain(`damaged at offset ${starts[k]} `);
        expect(message).toContain(`${FRAMES - 1 - k} readable frame(s) follow`);
        // Refusing changes nothing on disk.
        expect(readFileSync(join(dir, LOG_FILE))).toEqual(damaged);

        const repair = await repairEventLog(dir);
        expect(repair).toBeDefined();
        expect(readFileSync(repair!.setAside)).toEqual(damaged);
        expect(JSON.parse(readFileSync(repair!.reportFile, 'utf8'))).toMatchObject({
          framesKept: FRAMES - 1,
          damage: [{ offset: starts[k] }],
        });
        const reopened = await openLog(dir);
        expect(reopened.frames).toEqual(frames.filter((_f, i) => i !== k));
        // Positions keep growing after a repair: the log ends where it ended before.
        expect(reopened.log.endOffset).toBeGreaterThanOrEqual(bytes.length);
        await reopened.log.close();
        for (const f of readdirSync(dir)) rmSync(join(dir, f));
      }
    },
  );

  it('cuts a torn tail at every byte of the last frame, keeping every earlier frame, and says what it cut', async () => {
    for (let cut = last + 1; cut < bytes.length; cut++) {
      writeFileSync(join(dir, LOG_FILE), bytes.subarray(0, cut));
      const { log, frames: recovered, recovery, lines } = await openLog(dir);
      expect(recovered).toEqual(frames.slice(0, -1));
      expect(recovery).toMatchObject({ truncatedBytes: cut - last, truncatedAt: last });
      expect(lines[0]).toContain(
        `cut a torn tail of ${join(dir, LOG_FILE)}: ${cut - last} byte(s) at offset ${last}`,
      );
      expect(lines.at(-1)).toMatch(/^recovery: .* 11 frame\(s\)/);
      expect(readFileSync(join(dir, LOG_FILE))).toEqual(bytes.subarray(0, last));
      await log.close();
    }
  });

  it('logs a one-line summary on a clean start', async () => {
    writeFileSync(join(dir, LOG_FILE), bytes);
    const { log, lines } = await openLog(dir);
    expect(lines).toEqual([
      `recovery: ${join(dir, LOG_FILE)}: ${FRAMES} frame(s), ${frames.flat().length} event(s), 0 torn byte(s) cut, no damage`,
    ]);
    await log.close();
  });

  it('repair sets aside the events after a hole in their own stream and lists them', async () => {
    const shared = [0, 1, 2, 3].map((r) => [event('shared', r)]);
    const encoded = shared.map((f) => encodeFrame(f));
    encoded[1][20] ^= 0x10;
    writeFileSync(join(dir, LOG_FILE), Buffer.concat(encoded));
    const repair = await repairEventLog(dir);
    expect(repair!.eventsSetAside.map((e) => e.revision)).toEqual([2, 3]);
    const { log, frames: recovered } = await openLog(dir);
    expect(recovered.flat().map((e) => e.revision)).toEqual([0]);
    await log.close();
  });

  it('repair does nothing to a healthy log', async () => {
    writeFileSync(join(dir, LOG_FILE), bytes);
    expect(await repairEventLog(dir)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([LOG_FILE]);
    expect(existsSync(join(dir, LOG_FILE))).toBe(true);
  });
});
