import { bufferSource, DamagedFileError, frame, scanFrames } from './frame-scan';

const OPTIONS = { minPayload: 1, maxPayload: 1024 };
const file = (...payloads: string[]) => Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
const scan = (bytes: Buffer) => scanFrames(bufferSource(bytes), bytes.length, OPTIONS);

describe('scanFrames', () => {
  it('reads every frame of an intact file', () => {
    const bytes = file('one', 'two', 'three');
    expect(scan(bytes)).toMatchObject({ frames: [{}, {}, {}], damage: [], torn: undefined });
  });

  it('calls an incomplete last write at any byte a torn tail, never damage', () => {
    const whole = file('one', 'two', 'the last frame');
    const lastStart = file('one', 'two').length;
    for (let cut = lastStart + 1; cut < whole.length; cut++) {
      const result = scan(whole.subarray(0, cut));
      expect(result.damage).toEqual([]);
      expect(result.torn).toMatchObject({ offset: lastStart, bytes: cut - lastStart });
      expect(result.frames).toHaveLength(2);
    }
  });

  it('calls a bad frame followed by readable ones damage, naming its offset', () => {
    const bytes = file('one', 'two', 'three');
    const second = file('one').length;
    bytes[second + 9] ^= 0x01;
    const result = scan(bytes);
    expect(result.damage).toEqual([{ offset: second, bytes: 11, reason: 'checksum mismatch' }]);
    expect(new DamagedFileError('f.log', result).message).toContain(
      `f.log is damaged at offset ${second}`,
    );
  });

  it('calls a complete last frame that fails its checksum damage, not a torn tail', () => {
    const bytes = file('one', 'two');
    bytes[bytes.length - 1] ^= 0x01;
    const result = scan(bytes);
    expect(result.torn).toBeUndefined();
    expect(result.damage).toHaveLength(1);
  });

  it('cuts a zero-filled tail (space allocated, never written) as torn', () => {
    const bytes = Buffer.concat([file('one'), Buffer.alloc(32)]);
    expect(scan(bytes).torn).toMatchObject({ reason: 'zero-filled tail', bytes: 32 });
  });
});
