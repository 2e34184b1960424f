import { pino, type Logger } from 'pino';

/** Silent unless DIST_EXEC_TEST_LOG is set (to a level such as debug). */
export function testLogger(): Logger {
  return pino({ level: process.env.DIST_EXEC_TEST_LOG ?? 'silent' });
}
