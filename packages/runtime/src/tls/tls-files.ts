/**
 * Reads the TLS files a process is given (`--tls-cert`, `--tls-key`,
 * `--tls-ca`, `--tls-client-ca`) and checks them at start, so that a wrong
 * file stops the process with one line naming the flag and the file, not a
 * handshake failure on the first call: a file that is missing, unreadable or
 * not PEM; a key readable by every user, or that is not the certificate's; a
 * certificate (or CA) that has expired or is not valid yet.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from '@dist-exec/core';
import type { ClientTls } from '@dist-exec/proto';

/** Paths of the TLS files; '' or absent = not given. */
export interface TlsFiles {
  /** --tls-cert: this process's certificate (PEM; the chain may follow it): served, and presented as a client. */
  cert?: string;
  /** --tls-key: the certificate's private key (PEM). */
  key?: string;
  /** --tls-ca: CA certificates (PEM) the peers this process dials must be signed by. */
  ca?: string;
  /** --tls-client-ca: CA certificates (PEM) a client's certificate must be signed by; given, clients must present one. */
  clientCa?: string;
}

/** What a server needs: its certificate and key, and the CA of client certificates it requires (null: none). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | null;
}

/** The TLS a process serves (null: plaintext) and the TLS it dials its peers with (null: plaintext). */
export interface TlsSetup {
  server: ServerTls | null;
  client: ClientTls | null;
}

const FLAGS = { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca', clientCa: '--tls-client-ca' } as const;

function fail(flag: string, file: string, why: string, cause?: unknown): never {
  throw new InvalidArgumentError(`${flag} ${file}: ${why}`, { field: flag, ...(cause ? { cause } : {}) });
}

function readPem(flag: string, file: string, secret: boolean): Buffer {
  let bytes: Buffer;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) fail(flag, file, 'is not a file');
    // Like a token file: any user of the machine could act as this process.
    if (secret && (stat.mode & 0o004) !== 0)
      fail(flag, file, `is readable by every user (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 ${file}`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') fail(flag, file, 'does not exist', error);
    if (code === 'EACCES' || code === 'EPERM') fail(flag, file, 'is not readable by this user', error);
    fail(flag, file, `cannot be read (${code || String(error)})`, error);
  }
  if (!bytes.includes('-----BEGIN ')) fail(flag, file, 'is not a PEM file (no -----BEGIN line)');
  return bytes;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const day = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');

/** The certificates of a PEM file, each checked for its validity dates at `nowMs`. */
function certificates(flag: string, file: string, pem: Buffer, nowMs: number): X509Certificate[] {
  const blocks = pem.toString('utf8').match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) fail(flag, file, 'holds no certificate (no -----BEGIN CERTIFICATE----- block)');
  return blocks.map((block, index) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (error) {
      fail(flag, file, `certificate ${index + 1} is not a valid X.509 certificate`, error);
    }
    const which =
      blocks.length > 1 ? `certificate ${index + 1} (${cert.subject.replace(/\n/g, ', ')})` : 'the certificate';
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (nowMs < from.getTime())
      fail(flag, file, `${which} is not valid until ${day(from)} (is this machine's clock right?)`);
    if (nowMs > to.getTime()) fail(flag, file, `${which} expired on ${day(to)}; make a new one`);
    return cert;
  });
}

function privateKey(file: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    const encrypted = pem.includes('ENCRYPTED');
    fail(
      FLAGS.key,
      file,
      encrypted ? 'is encrypted with a passphrase; give the key unencrypted (mode 0600)' : 'is not a PEM private key',
      error,
    );
  }
}

/**
 * Reads and checks `files` at `nowMs` (see the file comment). The server
 * side is on with --tls-cert and --tls-key; the client side (dialing peers)
 * with --tls-ca or --tls-cert: it verifies peers with --tls-ca (else the
 * system's CAs) and presents --tls-cert as its client certificate.
 */
export function loadTlsFiles(files: TlsFiles, nowMs: number = Date.now()): TlsSetup {
  const certFile = files.cert ?? '';
  const keyFile = files.key ?? '';
  const caFile = files.ca ?? '';
  const clientCaFile = files.clientCa ?? '';
  if (certFile && !keyFile) fail(FLAGS.key, '(missing)', `is needed with --tls-cert ${certFile}`);
  if (keyFile && !certFile) fail(FLAGS.cert, '(missing)', `is needed with --tls-key ${keyFile}`);
  if (clientCaFile && !certFile)
    fail(
      FLAGS.clientCa,
      clientCaFile,
      'needs --tls-cert and --tls-key: client certificates are asked for only over TLS',
    );
  let cert: Buffer | null = null;
  let key: Buffer | null = null;
  if (certFile) {
    cert = readPem(FLAGS.cert, certFile, false);
    key = readPem(FLAGS.key, keyFile, true);
    const [leaf] = certificates(FLAGS.cert, certFile, cert, nowMs);
    if (leaf && !leaf.checkPrivateKey(privateKey(keyFile, key)))
      fail(FLAGS.key, keyFile, `is not the key of the certificate in --tls-cert ${certFile}`);
  }
  const ca = caFile ? readPem(FLAGS.ca, caFile, false) : null;
  if (ca) certificates(FLAGS.ca, caFile, ca, nowMs);
  const clientCa = clientCaFile ? readPem(FLAGS.clientCa, clientCaFile, false) : null;
  if (clientCa) certificates(FLAGS.clientCa, clientCaFile, clientCa, nowMs);
  return {
    server: cert && key ? { cert, key, clientCa } : null,
    client: ca || cert ? { ca, cert, key } : null,
  };
}
