import 'reflect-metadata';
import { createHash, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

// Secure by default, as EventStoreDB 20+ is: TLS with a CA and node certificate generated on first
// start (no openssl needed) and a user `admin` whose password is generated on first start. Every
// file here is 0600 in a 0700 folder; the CA's private key is never written, so nothing on disk can
// mint another certificate this CA signs.

export const ADMIN_USER = 'admin';

export interface ServerSecrets {
  dir: string;
  caFile: string;
  certPem: Buffer;
  keyPem: Buffer;
  caPem: Buffer;
  password: string;
  passwordFile: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const VALID_DAYS = 3650;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Loads the secrets in `dir`, creating what is missing (certificates also when `host` is not covered). */
export async function ensureSecrets(dir: string, host: string): Promise<ServerSecrets> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const files = {
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'node.crt'),
    key: join(dir, 'node.key'),
    password: join(dir, 'admin.password'),
  };
  if (!existsSync(files.password)) writeSecret(files.password, randomBytes(24).toString('hex'));
  const password = readFileSync(files.password, 'utf8').trim();
  const hosts = hostsFor(host);
  const covered =
    existsSync(files.ca) &&
    existsSync(files.cert) &&
    existsSync(files.key) &&
    existsSync(`${files.cert}.hosts`) &&
    hosts.every((h) => readFileSync(`${files.cert}.hosts`, 'utf8').split('\n').includes(h));
  if (!covered) {
    const generated = await generateCertificates(hosts);
    writeSecret(files.ca, generated.caPem);
    writeSecret(files.cert, generated.certPem);
    writeSecret(files.key, generated.keyPem);
    writeSecret(`${files.cert}.hosts`, hosts.join('\n'));
  }
  return {
    dir,
    caFile: files.ca,
    caPem: readFileSync(files.ca),
    certPem: readFileSync(files.cert),
    keyPem: readFileSync(files.key),
    password,
    passwordFile: files.password,
  };
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function hostsFor(host: string): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  if (host !== '0.0.0.0' && host !== '::') hosts.add(host);
  return [...hosts];
}

async function generateCertificates(
  hosts: string[],
): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + VALID_DAYS * 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=embedded-eventstore CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const nodeKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const node = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=eventstore',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: nodeKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) =>
          /^[\d.:]+$/.test(h) ? { type: 'ip', value: h } : { type: 'dns', value: h },
        ),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(nodeKeys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', nodeKeys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { caPem: ca.toString('pem'), certPem: node.toString('pem'), keyPem };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // a positive serial
  return bytes.toString('hex');
}

/** Checks `authorization: Basic ...` against the admin user in constant time. */
export function basicAuthChecker(password: string): (header: string | undefined) => boolean {
  const expected = digest(`${ADMIN_USER}:${password}`);
  return (header) => {
    if (!header?.startsWith('Basic ')) return false;
    const given = digest(Buffer.from(header.slice(6), 'base64').toString('utf8'));
    return timingSafeEqual(given, expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
