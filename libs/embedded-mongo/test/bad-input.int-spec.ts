import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Binary, BSON, type Document } from 'bson';
import { type Db, type MongoClient, MongoServerError } from 'mongodb';
import { type AnyDoc, closeTestDatabase, mongoUrl, openTestDatabase } from './test-database';

const OP_MSG = 2013;

function address(): { host: string; port: number } {
  const url = new URL(mongoUrl().replace(/^mongodb:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 27017) };
}

function header(length: number, requestId: number, opCode: number): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(requestId, 4);
  buf.writeInt32LE(0, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

function opMsg(requestId: number, body: Buffer, flags = 0, sequences: Buffer[] = []): Buffer {
  const flagBuf = Buffer.alloc(4);
  flagBuf.writeUInt32LE(flags, 0);
  const payload = Buffer.concat([flagBuf, Buffer.from([0]), body, ...sequences]);
  return Buffer.concat([header(16 + payload.length, requestId, OP_MSG), payload]);
}

function sequence(id: string, docs: Buffer[]): Buffer {
  const name = Buffer.from(`${id}\0`);
  const size = Buffer.alloc(4);
  const total = 4 + name.length + docs.reduce((n, d) => n + d.length, 0);
  size.writeInt32LE(total, 0);
  return Buffer.concat([Buffer.from([1]), size, name, ...docs]);
}

/** A raw connection that reads whole OP_MSG replies or notices the server closing it. */
class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(): Promise<RawConnection> {
    const { host, port } = address();
    const conn = await new Promise<RawConnection>((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
    await conn.authenticate();
    return conn;
  }

  // Logs in as the driver does (SCRAM-SHA-256) when the connection string carries a user, so the
  // raw bytes below reach the command layer of a server that requires authentication.
  private async authenticate(): Promise<void> {
    const url = new URL(mongoUrl().replace(/^mongodb:/, 'http:'));
    if (!url.username) return;
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    const nonce = randomBytes(24).toString('base64');
    const clientFirstBare = `n=${user},r=${nonce}`;
    const command = async (body: Document): Promise<Document> => {
      this.send(opMsg(1, Buffer.from(BSON.serialize({ ...body, $db: 'admin' }))));
      const reply = await this.reply();
      if (reply === 'closed' || reply.ok !== 1)
        throw new Error(`login failed: ${JSON.stringify(reply)}`);
      return reply;
    };
    const first = await command({
      saslStart: 1,
      mechanism: 'SCRAM-SHA-256',
      payload: new Binary(Buffer.from(`n,,${clientFirstBare}`)),
      options: { skipEmptyExchange: true },
    });
    const serverFirst = Buffer.from((first.payload as Binary).buffer).toString('utf8');
    const fields = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
    const salted = pbkdf2Sync(
      password,
      Buffer.from(fields.s, 'base64'),
      Number(fields.i),
      32,
      'sha256',
    );
    const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${fields.r}`;
    const signature = hmac(storedKey, `${clientFirstBare},${serverFirst},${withoutProof}`);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
    await command({
      saslContinue: 1,
      conversationId: first.conversationId as number,
      payload: new Binary(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)),
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next reply's body, or 'closed' if the server hung up first. */
  async reply(timeoutMs = 5000): Promise<Document | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const length = this.buffered.readInt32LE(0);
        if (this.buffered.length >= length) {
          const frame = this.buffered.subarray(0, length);
          this.buffered = this.buffered.subarray(length);
          return BSON.deserialize(frame.subarray(21));
        }
      }
      if (this.closed) return 'closed';
      if (Date.now() > deadline) throw new Error('no reply and no close');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('embedded-mongo: bad input gets MongoDB errors and never takes the server down', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;
  let conn: RawConnection;

  beforeAll(async () => {
    handle = await openTestDatabase('bad_input');
    db = handle.db;
  });
  afterEach(() => conn?.close());
  afterAll(async () => {
    // The server is still fully usable after everything below.
    expect((await db.admin().ping()).ok).toBe(1);
    await closeTestDatabase(handle);
  });

  const ping = (requestId: number): Buffer =>
    opMsg(requestId, Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' })));

  it('answers a well-formed raw OP_MSG', async () => {
    conn = await RawConnection.open();
    conn.send(ping(1));
    expect(await conn.reply()).toMatchObject({ ok: 1 });
  });

  it('closes a connection that sends an impossible message length', async () => {
    conn = await RawConnection.open();
    const bogus = Buffer.alloc(16);
    bogus.writeInt32LE(3, 0);
    conn.send(bogus);
    expect(await conn.reply()).toBe('closed');
  });

  it('closes a connection that sends an unsupported opcode', async () => {
    conn = await RawConnection.open();
    conn.send(Buffer.concat([header(20, 1, 2002), Buffer.alloc(4)]));
    expect(await conn.reply()).toBe('closed');
  });

  it('answers a corrupt BSON body with an error and keeps the connection usable', async () => {
    conn = await RawConnection.open();
    const body = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
    body.writeInt32LE(body.length + 50, 0);
    conn.send(opMsg(7, body));
    const reply = await conn.reply();
    expect(reply).toMatchObject({ ok: 0 });
    expect(typeof (reply as Document).errmsg).toBe('string');
    conn.send(ping(8));
    expect(await conn.reply()).toMatchObject({ ok: 1 });
  });

  it('rejects unknown required flag bits and a wrong checksum', async () => {
    conn = await RawConnection.open();
    const body = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
    conn.send(opMsg(3, body, 1 << 4));
    expect(await conn.reply()).toMatchObject({ ok: 0 });
    const withBadChecksum = opMsg(4, Buffer.concat([body]), 1);
    const framed = Buffer.concat([withBadChecksum, Buffer.from([1, 2, 3, 4])]);
    framed.writeInt32LE(framed.length, 0);
    conn.send(framed);
    expect(await conn.reply()).toMatchObject({ ok: 0 });
  });

  it('survives a truncated frame followed by a hang-up', async () => {
    conn = await RawConnection.open();
    conn.send(ping(1).subarray(0, 10));
    conn.close();
    expect((await db.admin().ping()).ok).toBe(1);
  });

  it('answers a message without a body section with an error', async () => {
    conn = await RawConnection.open();
    const flags = Buffer.alloc(4);
    conn.send(Buffer.concat([header(20, 5, OP_MSG), flags]));
    expect(await conn.reply()).toMatchObject({ ok: 0 });
  });

  it('rejects unknown query operators with BadValue (2)', async () => {
    await db.collection<AnyDoc>('ops').insertOne({ a: 1 });
    const error = await db
      .collection<AnyDoc>('ops')
      .find({ a: { $foo: 1 } })
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(2);
    expect((error as MongoServerError).message).toBe('unknown operator: $foo');
    const topLevel = await db
      .collection<AnyDoc>('ops')
      .find({ $foo: 1 } as never)
      .toArray()
      .catch((e: unknown) => e);
    expect((topLevel as MongoServerError).code).toBe(2);
    expect((topLevel as MongoServerError).message).toMatch(/^unknown top level operator: \$foo/);
  });

  it('rejects documents over 16 MiB and stores nothing', async () => {
    const huge = { _id: 'huge', blob: 'x'.repeat(17 * 1024 * 1024) };
    const error = await db
      .collection<AnyDoc>('big')
      .insertOne(huge)
      .catch((e: unknown) => e);
    // The driver refuses it itself (its BSON buffer is sized for the limit); nothing reaches disk.
    expect((error as Error).message).toMatch(/range|large|size/i);
    expect(await db.collection<AnyDoc>('big').countDocuments({ _id: 'huge' })).toBe(0);

    // Past the driver's own check: the server must refuse it with BSONObjectTooLarge (10334).
    // js-bson serializes into one shared 17 MiB buffer and silently truncates anything larger (the
    // bytes past it are whatever an earlier call left there), so the raw document stays just below that.
    conn = await RawConnection.open();
    const command = Buffer.from(
      BSON.serialize({ insert: 'big', $db: db.databaseName, ordered: true }),
    );
    const doc = Buffer.from(
      BSON.serialize({ _id: 'huge', blob: 'x'.repeat(16 * 1024 * 1024 + 64 * 1024) }),
    );
    expect(BSON.deserialize(doc)).toMatchObject({ _id: 'huge' });
    conn.send(opMsg(9, command, 0, [sequence('documents', [doc])]));
    const reply = await conn.reply(20000);
    // One assertion on the whole reply, so a failure shows what came back (or 'closed').
    expect(reply).toMatchObject({
      n: 0,
      writeErrors: [expect.objectContaining({ index: 0, code: 10334 })],
    });
    expect(await db.collection<AnyDoc>('big').countDocuments({ _id: 'huge' })).toBe(0);
  });

  it('rejects arrays as _id and malformed commands with clear errors', async () => {
    const arrayId = await db
      .collection<AnyDoc>('bad_ids')
      .insertOne({ _id: [1, 2] })
      .catch((e: unknown) => e);
    expect((arrayId as MongoServerError).code).toBe(2);
    const badLimit = await db
      .command({ delete: 'bad_ids', deletes: [{ q: {}, limit: 5 }] })
      .catch((e: unknown) => e);
    expect((badLimit as MongoServerError).code).toBe(9);
    const badFind = await db.command({ find: 'bad_ids', filter: 'nope' }).catch((e: unknown) => e);
    expect((badFind as MongoServerError).code).toBe(14);
  });
});
