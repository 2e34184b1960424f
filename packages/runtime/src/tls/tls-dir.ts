/**
 * `dist-exec tls init`: a directory with a CA (`ca.crt`, `ca.key`) and a
 * certificate + key per host (`<host>.crt`, `<host>.key`). Keys are written
 * with mode 0600 (the directory 0700), each file whole or not at all (written
 * aside, then renamed). A CA already there is used to sign new hosts, and a
 * host whose files are there is kept: running it again with one more host
 * adds that host.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dist-exec/core';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAndKey,
  type HostSpec,
  type ValidityOptions,
} from './certificates.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';

/** What `writeTlsDir` did with each file. */
export interface TlsDirReport {
  /** The CA certificate clients and servers verify with (`--tls-ca`, `--tls-client-ca`). */
  caFile: string;
  /** Each host's files; `made: false` when they were already there and kept. */
  hosts: Array<{ name: string; altNames: string[]; certFile: string; keyFile: string; made: boolean }>;
  /** Whether the CA was made now (false: an existing one signed the new hosts). */
  caMade: boolean;
}

function writeWhole(path: string, text: string, mode: number): void {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text, { mode });
  chmodSync(aside, mode);
  renameSync(aside, path);
}

function readCa(dir: string): CertificateAndKey | null {
  const certFile = join(dir, CA_CERT_FILE);
  const keyFile = join(dir, CA_KEY_FILE);
  const haveCert = existsSync(certFile);
  const haveKey = existsSync(keyFile);
  if (!haveCert && !haveKey) return null;
  if (!haveCert || !haveKey)
    throw new InvalidArgumentError(
      `--dir ${dir}: has ${haveCert ? CA_CERT_FILE : CA_KEY_FILE} without ${haveCert ? CA_KEY_FILE : CA_CERT_FILE}; restore it, or use an empty directory`,
      { field: '--dir' },
    );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** Makes what is missing in `dir` (see the file comment). */
export async function writeTlsDir(
  dir: string,
  hosts: readonly HostSpec[],
  options: { validity?: ValidityOptions; caName?: string } = {},
): Promise<TlsDirReport> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readCa(dir);
  const caMade = ca === null;
  if (!ca) {
    ca = await createCertificateAuthority(options.caName, options.validity);
    // The key first: a CA certificate without its key could sign nothing more.
    writeWhole(join(dir, CA_KEY_FILE), ca.key, 0o600);
    writeWhole(join(dir, CA_CERT_FILE), ca.cert, 0o644);
  }
  const report: TlsDirReport = { caFile: join(dir, CA_CERT_FILE), hosts: [], caMade };
  for (const host of hosts) {
    const certFile = join(dir, `${host.name}.crt`);
    const keyFile = join(dir, `${host.name}.key`);
    const made = !(existsSync(certFile) && existsSync(keyFile));
    if (made) {
      const issued = await issueCertificate(ca, host.altNames, options.validity);
      writeWhole(keyFile, issued.key, 0o600);
      writeWhole(certFile, issued.cert, 0o644);
    }
    report.hosts.push({ name: host.name, altNames: [...host.altNames], certFile, keyFile, made });
  }
  return report;
}
