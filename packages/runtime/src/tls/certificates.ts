/**
 * A small certificate authority for a dist-exec cluster: a CA, and for each
 * host a certificate + key that serves TLS and presents itself as a client
 * (master ⇄ workers mTLS), with the host's DNS names and IP addresses as
 * subject alternative names. What `dist-exec tls init` writes.
 *
 * Node 20's crypto makes keys and reads certificates but cannot write one
 * (that needs ASN.1 encoding), so certificates are built with node-forge:
 * pure JavaScript, no dependencies, no install step. Keys are RSA 2048, made
 * by Node's own crypto (forge's pure-JS key generation is slow). forge is
 * loaded on first use: it takes a fifth of a second to load, which every
 * process that imports this package (the CLI on each command) would pay.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type forgeModule from 'node-forge';
import { InvalidArgumentError } from '@dist-exec/core';

const DAY_MS = 86_400_000;
/** A CA made by `tls init` is valid for 10 years. */
export const DEFAULT_CA_VALIDITY_MS = 3650 * DAY_MS;
/** A host certificate is valid for 825 days (what browsers still accept for a server certificate). */
export const DEFAULT_CERT_VALIDITY_MS = 825 * DAY_MS;

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface ValidityOptions {
  /** Start of validity, in ms since the epoch. @default now, less a minute of clock skew */
  notBeforeMs?: number;
  /** End of validity, in ms since the epoch. @default notBefore + the default validity */
  notAfterMs?: number;
}

/** One certificate to issue: its file name and the names it is valid for. */
export interface HostSpec {
  /** File name stem: `<name>.crt`, `<name>.key`. */
  name: string;
  /** DNS names and IP addresses (subject alternative names); the first is also the common name. */
  altNames: string[];
}

const HOST_NAME =
  /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses `--hosts master1,worker1+10.0.0.5,127.0.0.1`: one certificate per
 * comma-separated item, `+` joining the names one certificate is valid for
 * (the first names its files).
 */
export function parseHostSpecs(text: string, field = '--hosts'): HostSpec[] {
  const specs = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const altNames = item
        .split('+')
        .map((name) => name.trim())
        .filter(Boolean);
      for (const name of altNames) {
        if (!isIP(name) && !HOST_NAME.test(name))
          throw new InvalidArgumentError(`${field}: "${name}" is neither a host name nor an IP address`, { field });
      }
      return { name: (altNames[0] ?? '').replace(/^\*\./, 'wildcard.').replace(/:/g, '_'), altNames };
    });
  if (specs.length === 0)
    throw new InvalidArgumentError(`${field}: name at least one host, e.g. --hosts master1,worker1,127.0.0.1`, {
      field,
    });
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new InvalidArgumentError(`${field}: "${spec.name}" is listed twice`, { field });
    seen.add(spec.name);
  }
  return specs;
}

type Forge = typeof forgeModule;

async function loadForge(): Promise<Forge> {
  return (await import('node-forge')).default;
}

function newKeyPair(forge: Forge): {
  privateKey: forgeModule.pki.rsa.PrivateKey;
  publicKey: forgeModule.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    privateKey: forge.pki.privateKeyFromPem(pem),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    pem,
  };
}

/** A random positive serial number (RFC 5280: unique per CA, at most 20 bytes). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forgeModule.pki.Certificate, options: ValidityOptions, defaultMs: number): void {
  const notBefore = options.notBeforeMs ?? Date.now() - 60_000;
  cert.validity.notBefore = new Date(notBefore);
  cert.validity.notAfter = new Date(options.notAfterMs ?? notBefore + defaultMs);
}

/** A self-signed CA that may sign host certificates (and nothing below them). */
export async function createCertificateAuthority(
  commonName = 'dist-exec CA',
  options: ValidityOptions = {},
): Promise<CertificateAndKey> {
  const forge = await loadForge();
  const keys = newKeyPair(forge);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options, DEFAULT_CA_VALIDITY_MS);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A certificate for `altNames`, signed by `ca`, usable by a server and by a client. */
export async function issueCertificate(
  ca: CertificateAndKey,
  altNames: readonly string[],
  options: ValidityOptions = {},
): Promise<CertificateAndKey> {
  const forge = await loadForge();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = newKeyPair(forge);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options, DEFAULT_CERT_VALIDITY_MS);
  cert.setSubject([{ name: 'commonName', value: altNames[0] ?? 'dist-exec' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    {
      name: 'subjectAltName',
      // 2: dNSName, 7: iPAddress (RFC 5280).
      altNames: altNames.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}
