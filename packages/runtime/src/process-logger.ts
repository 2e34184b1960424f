import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface ProcessLoggerOptions {
  /** `service` field of every line: master or worker. */
  service: string;
  level: string;
  /** `auto`: pretty on a terminal, JSON lines otherwise (pipes, files, containers). @default 'auto' */
  format?: LogFormat;
  /** Whether stdout is a terminal (main.ts passes process.stdout.isTTY). */
  tty?: boolean;
}

/**
 * The logger of a master or worker process: pino JSON lines for machines, or,
 * on a terminal, one readable line per entry with its fields (jobId,
 * attempt, nodeId, …) after the message. Both write synchronously, so
 * nothing is lost when the process exits right after logging.
 */
export function createProcessLogger(options: ProcessLoggerOptions): Logger {
  const pretty = options.format === 'pretty' || ((options.format ?? 'auto') === 'auto' && options.tty === true);
  const base = { level: options.level, base: { service: options.service } };
  if (!pretty) return pino(base);
  return pino(
    base,
    PinoPretty({
      sync: true,
      colorize: options.tty === true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service,component',
      messageFormat: '{if component}[{component}] {end}{msg}',
    }),
  );
}
