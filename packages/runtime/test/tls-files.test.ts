import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueCertificate,
  loadTlsFiles,
  parseHostSpecs,
  writeTlsDir,
  type TlsFiles,
} from '@dist-exec/runtime';
import { tempDir } from '@dist-exec/testing';

const DAY = 86_400_000;
let dir = '';
let files: { ca: string; cert: string; key: string; otherKey: string; expired: string; expiredKey: string } = {
  ca: '',
  cert: '',
  key: '',
  otherKey: '',
  expired: '',
  expiredKey: '',
};

function write(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

/** The one line loadTlsFiles throws for `given`. */
function refusal(given: TlsFiles, nowMs = Date.now()): string {
  try {
    loadTlsFiles(given, nowMs);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

beforeAll(async () => {
  dir = tempDir('dist-exec-tls-');
  const ca = await createCertificateAuthority();
  const host = await issueCertificate(ca, ['localhost', '127.0.0.1']);
  const other = await issueCertificate(ca, ['other']);
  const past = await issueCertificate(ca, ['old'], {
    notBeforeMs: Date.now() - 30 * DAY,
    notAfterMs: Date.now() - DAY,
  });
  files = {
    ca: write('ca.crt', ca.cert, 0o644),
    cert: write('host.crt', host.cert, 0o644),
    key: write('host.key', host.key),
    otherKey: write('other.key', other.key),
    expired: write('old.crt', past.cert, 0o644),
    expiredKey: write('old.key', past.key),
  };
}, 60_000);

describe('loadTlsFiles', () => {
  it('serves with a certificate and its key, asks for client certificates with a client CA, and dials with the CA', () => {
    const { server, client } = loadTlsFiles({ cert: files.cert, key: files.key, ca: files.ca, clientCa: files.ca });
    expect(server?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(server?.clientCa?.toString()).toBe(readFileSync(files.ca, 'utf8'));
    expect(client?.ca?.toString()).toBe(readFileSync(files.ca, 'utf8'));
    expect(client?.cert).toEqual(server?.cert);
    expect(loadTlsFiles({})).toEqual({ server: null, client: null });
    // A CLI with only --tls-ca dials with TLS and presents no certificate.
    expect(loadTlsFiles({ ca: files.ca })).toMatchObject({ server: null, client: { cert: null, key: null } });
  });

  it('refuses each bad file with one line naming the flag and the file', () => {
    const notPem = write('not-pem.crt', 'hello\n', 0o644);
    const garbled = write('garbled.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 0o644);
    const open = write('open.key', readFileSync(files.key, 'utf8'), 0o644);
    const certAsKey = write('cert-as.key', readFileSync(files.cert, 'utf8'));
    const cases: Array<[TlsFiles, RegExp]> = [
      [{ cert: join(dir, 'nope.crt'), key: files.key }, /^--tls-cert \S+nope\.crt: does not exist$/],
      [{ cert: dir, key: files.key }, /^--tls-cert \S+: is not a file$/],
      [{ cert: notPem, key: files.key }, /^--tls-cert \S+not-pem\.crt: is not a PEM file \(no -----BEGIN line\)$/],
      [
        { cert: garbled, key: files.key },
        /^--tls-cert \S+garbled\.crt: certificate 1 is not a valid X\.509 certificate$/,
      ],
      [{ cert: files.cert, key: certAsKey }, /^--tls-key \S+cert-as\.key: is not a PEM private key$/],
      [
        { cert: files.cert, key: files.otherKey },
        /^--tls-key \S+other\.key: is not the key of the certificate in --tls-cert \S+host\.crt$/,
      ],
      [
        { cert: files.cert, key: open },
        /^--tls-key \S+open\.key: is readable by every user \(mode 644\); run chmod 600 /,
      ],
      [
        { cert: files.expired, key: files.expiredKey },
        /^--tls-cert \S+old\.crt: the certificate expired on \d{4}-\d\d-\d\dT[\d:]+Z; make a new one$/,
      ],
      [{ cert: files.cert }, /^--tls-key \(missing\): is needed with --tls-cert /],
      [{ key: files.key }, /^--tls-cert \(missing\): is needed with --tls-key /],
      [{ clientCa: files.ca }, /^--tls-client-ca \S+: needs --tls-cert and --tls-key/],
      [{ ca: notPem }, /^--tls-ca \S+not-pem\.crt: is not a PEM file/],
      [{ ca: files.key }, /^--tls-ca \S+host\.key: holds no certificate/],
      [
        { cert: files.cert, key: files.key, clientCa: join(dir, 'gone.crt') },
        /^--tls-client-ca \S+gone\.crt: does not exist$/,
      ],
    ];
    for (const [given, expected] of cases) expect(refusal(given)).toMatch(expected);
  });

  it('checks validity dates against the clock it is given', () => {
    const { cert, key } = files;
    expect(refusal({ cert, key }, Date.now() + 2000 * DAY)).toMatch(/^--tls-cert \S+: the certificate expired on /);
    expect(refusal({ cert, key }, Date.now() - 2 * DAY)).toMatch(
      /^--tls-cert \S+: the certificate is not valid until .+ \(is this machine's clock right\?\)$/,
    );
    expect(refusal({ ca: files.ca }, Date.now() + 4000 * DAY)).toMatch(/^--tls-ca \S+ca\.crt: the certificate expired/);
  });
});

describe('tls init', () => {
  it('parses hosts: one certificate per item, + joins names, bad names refused', () => {
    expect(parseHostSpecs('master1, worker1+10.0.0.5,127.0.0.1,::1')).toEqual([
      { name: 'master1', altNames: ['master1'] },
      { name: 'worker1', altNames: ['worker1', '10.0.0.5'] },
      { name: '127.0.0.1', altNames: ['127.0.0.1'] },
      { name: '__1', altNames: ['::1'] },
    ]);
    expect(() => parseHostSpecs('master1,bad_name')).toThrow(
      /--hosts: "bad_name" is neither a host name nor an IP address/,
    );
    expect(() => parseHostSpecs(' , ')).toThrow(/--hosts: name at least one host/);
    expect(() => parseHostSpecs('a,a')).toThrow(/--hosts: "a" is listed twice/);
  });

  it('writes a CA and certificates whose keys only the owner reads, and keeps what is there', async () => {
    const out = join(tempDir('dist-exec-tls-init-'), 'tls');
    const first = await writeTlsDir(out, parseHostSpecs('master1+127.0.0.1'));
    expect(first.caMade).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    for (const key of ['ca.key', 'master1.key']) expect(statSync(join(out, key)).mode & 0o777).toBe(0o600);
    const master1 = first.hosts[0];
    expect(master1?.made).toBe(true);
    // The certificate serves, is the key's, and is signed by the CA.
    const { server } = loadTlsFiles({ cert: master1?.certFile, key: master1?.keyFile, clientCa: first.caFile });
    expect(server).not.toBeNull();
    const before = readFileSync(join(out, 'master1.crt'), 'utf8');
    const second = await writeTlsDir(out, parseHostSpecs('master1+127.0.0.1,worker1'));
    expect(second.caMade).toBe(false);
    expect(second.hosts.map((h) => h.made)).toEqual([false, true]);
    expect(readFileSync(join(out, 'master1.crt'), 'utf8')).toBe(before);
  }, 60_000);
});
