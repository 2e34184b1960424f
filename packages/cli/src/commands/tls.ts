/**
 * `dist-exec tls init --dir ./tls --hosts master1,worker1,127.0.0.1`: a CA
 * and a certificate + key per host for a cluster with TLS and mTLS (see
 * docs/security.md). Needs no master; nothing is sent anywhere.
 */
import type { Command } from 'commander';
import { parseHostSpecs, writeTlsDir } from '@dist-exec/runtime';

interface TlsInitFlags {
  dir: string;
  hosts: string;
}

export function registerTls(program: Command): void {
  const tls = program.command('tls').description('make certificates for TLS between the master, workers and clients');
  tls
    .command('init')
    .description(
      'write a CA (ca.crt, ca.key) and, per host, a certificate and key (<host>.crt, <host>.key; keys mode 0600) valid for serving and as a client; files already there are kept',
    )
    .option('--dir <dir>', 'where the files go', './tls')
    .requiredOption(
      '--hosts <names>',
      'one certificate per comma-separated host name or IP; + joins the names one certificate holds (master1+10.0.0.5)',
    )
    .action(async (flags: TlsInitFlags) => {
      const hosts = parseHostSpecs(flags.hosts);
      const report = await writeTlsDir(flags.dir, hosts);
      const lines = [
        `${report.caMade ? 'made' : 'kept'} ${report.caFile} (the CA: give it to every process as --tls-ca and --tls-client-ca; keep ca.key off the cluster)`,
        ...report.hosts.map(
          (host) =>
            `${host.made ? 'made' : 'kept'} ${host.certFile} and ${host.keyFile} (for ${host.altNames.join(', ')})`,
        ),
      ];
      const first = report.hosts[0];
      if (first)
        lines.push(
          '',
          'On each machine, with its own certificate:',
          `  dist-exec-master --host 0.0.0.0 --tls-cert ${first.certFile} --tls-key ${first.keyFile} --tls-ca ${report.caFile} --tls-client-ca ${report.caFile}`,
          `  dist-exec-worker --tls-cert <host>.crt --tls-key <host>.key --tls-ca ${report.caFile} --tls-client-ca ${report.caFile} …`,
          `  dist-exec --tls-ca ${report.caFile} --tls-cert <host>.crt --tls-key <host>.key run …`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
