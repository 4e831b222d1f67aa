import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Binary, type Document } from 'bson';

// SCRAM-SHA-256 (RFC 5802 / RFC 7677) as mongod runs it through saslStart / saslContinue: the
// driver's default mechanism. The server keeps only StoredKey and ServerKey in memory.

export interface MongoUser {
  user: string;
  password: string;
}

const ITERATIONS = 15_000;

/** Reads the user in `dir/credentials.json`, generating it on first start (0600 in 0700). */
export function ensureUser(dir: string): { user: MongoUser; file: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, 'credentials.json');
  if (!existsSync(file)) {
    const user = { user: 'admin', password: randomBytes(24).toString('hex') };
    writeFileSync(file, `${JSON.stringify(user)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { user: JSON.parse(readFileSync(file, 'utf8')) as MongoUser, file };
}

export class ScramVerifier {
  private readonly salt = randomBytes(28);
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;

  constructor(readonly user: MongoUser) {
    const salted = pbkdf2Sync(user.password, this.salt, ITERATIONS, 32, 'sha256');
    this.storedKey = sha256(hmac(salted, 'Client Key'));
    this.serverKey = hmac(salted, 'Server Key');
  }

  /** One conversation per connection. */
  conversation(): ScramConversation {
    return new ScramConversation(this.user.user, this.salt, this.storedKey, this.serverKey);
  }
}

const authFailed = (): Document => ({
  ok: 0,
  errmsg: 'Authentication failed.',
  code: 18,
  codeName: 'AuthenticationFailed',
});

export class ScramConversation {
  authenticated = false;
  private state: { clientFirstBare: string; serverFirst: string; nonce: string } | undefined;

  constructor(
    private readonly user: string,
    private readonly salt: Buffer,
    private readonly storedKey: Buffer,
    private readonly serverKey: Buffer,
  ) {}

  /** Answers saslStart / saslContinue; anything else is not its business. */
  handle(body: Document): Document {
    try {
      if ('saslStart' in body) return this.start(body);
      return this.continue(body);
    } catch {
      return authFailed();
    }
  }

  private start(body: Document): Document {
    if (body.mechanism !== 'SCRAM-SHA-256') {
      return {
        ok: 0,
        errmsg: `Received authentication for mechanism ${String(body.mechanism)} which is not enabled`,
        code: 334,
        codeName: 'MechanismUnavailable',
      };
    }
    if (body.$db !== 'admin') return authFailed();
    const message = payloadText(body.payload);
    if (!message.startsWith('n,,')) return authFailed();
    const clientFirstBare = message.slice(3);
    const fields = parse(clientFirstBare);
    const name = (fields.n ?? '').replace(/=2C/g, ',').replace(/=3D/g, '=');
    if (name !== this.user || !fields.r) return authFailed();
    const nonce = fields.r + randomBytes(24).toString('base64');
    const serverFirst = `r=${nonce},s=${this.salt.toString('base64')},i=${ITERATIONS}`;
    this.state = { clientFirstBare, serverFirst, nonce };
    return { conversationId: 1, done: false, payload: new Binary(Buffer.from(serverFirst)), ok: 1 };
  }

  private continue(body: Document): Document {
    const state = this.state;
    if (!state) return authFailed();
    if (this.authenticated)
      return { conversationId: 1, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
    this.state = undefined;
    const clientFinal = payloadText(body.payload);
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) return authFailed();
    const withoutProof = clientFinal.slice(0, proofAt);
    const fields = parse(clientFinal);
    if (fields.r !== state.nonce || fields.c !== 'biws' || !fields.p) return authFailed();
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const proof = Buffer.from(fields.p, 'base64');
    const signature = hmac(this.storedKey, authMessage);
    if (proof.length !== signature.length) return authFailed();
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha256(clientKey), this.storedKey)) return authFailed();
    this.authenticated = true;
    const serverSignature = hmac(this.serverKey, authMessage).toString('base64');
    // The driver asks to skip the final empty round trip (skipEmptyExchange), as mongod allows.
    return {
      conversationId: 1,
      done: true,
      payload: new Binary(Buffer.from(`v=${serverSignature}`)),
      ok: 1,
    };
  }
}

function payloadText(payload: unknown): string {
  if (payload instanceof Binary) return Buffer.from(payload.buffer).toString('utf8');
  if (typeof payload === 'string') return payload;
  throw new Error('bad payload');
}

function parse(message: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return fields;
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}
