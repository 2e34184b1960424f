/**
 * The environment every job starts from, built once from the worker's own.
 * Jobs see the worker's environment minus dist-exec's own settings and
 * secrets: every `DIST_EXEC_*` variable (the worker's token and token file,
 * its master address, TLS paths, ports, ...) and the TLS key log a debugging
 * session may have set. The runner then adds the job's identity
 * (`DIST_EXEC_JOB_ID`, `DIST_EXEC_ATTEMPT`, `DIST_EXEC_NODE_ID`), and the
 * job's own `env` is laid over all of it. With `clean`, jobs start from
 * `PATH`, `HOME` and `LANG` only.
 */

/** What a clean environment keeps of the worker's. */
export const CLEAN_ENV_KEEPS = ['PATH', 'HOME', 'LANG'] as const;
/** The PATH a job gets when the worker has none. */
export const DEFAULT_JOB_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Variables of the worker that never reach a job. */
export function isWorkerSecret(name: string): boolean {
  return name.startsWith('DIST_EXEC_') || name === 'SSLKEYLOGFILE';
}

export function jobBaseEnvironment(
  workerEnv: Readonly<Record<string, string | undefined>>,
  options: { clean?: boolean } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  if (options.clean) {
    for (const name of CLEAN_ENV_KEEPS) {
      const value = workerEnv[name];
      if (value !== undefined) env[name] = value;
    }
    env.PATH ??= DEFAULT_JOB_PATH;
    return env;
  }
  for (const name in workerEnv) {
    const value = workerEnv[name];
    if (value !== undefined && !isWorkerSecret(name)) env[name] = value;
  }
  return env;
}
