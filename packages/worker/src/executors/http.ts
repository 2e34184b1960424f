import { errorMessage } from '@dist-exec/core';
import type { ExecutionContext, ExecutionOutcome, Executor } from './executor.js';

/**
 * Makes one HTTP request. The response body is the task's stdout; status and
 * headers are the result, and the status is its exit code too. Success when
 * the status is in the expected set (any 2xx when none is given).
 */
export class HttpExecutor implements Executor {
  readonly type = 'http';

  async run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const http = context.spec.http;
    if (!http) return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: 'an http task needs a url' };
    context.onStarted(0);
    try {
      const response = await fetch(http.url, {
        method: http.method,
        headers: http.headers,
        ...(http.body.length && http.method !== 'GET' && http.method !== 'HEAD' ? { body: http.body } : {}),
        signal: context.signal,
        redirect: 'follow',
      });
      if (response.body) {
        for await (const chunk of response.body) context.onOutput('stdout', chunk as Uint8Array);
      }
      const expected = http.expectedStatus;
      const succeeded = expected.length
        ? expected.includes(response.status)
        : response.status >= 200 && response.status < 300;
      return {
        succeeded,
        reason: succeeded ? null : 'EXIT_CODE',
        exitCode: response.status,
        error: succeeded ? '' : `unexpected status ${response.status}`,
        httpResult: { statusCode: response.status, headers: Object.fromEntries(response.headers) },
      };
    } catch (error) {
      // The runner reports timeout and cancel itself, from the signal.
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return {
        succeeded: false,
        reason: 'EXECUTOR_ERROR',
        exitCode: null,
        error: `${http.method} ${http.url} failed: ${errorMessage(error)}${cause}`,
      };
    }
  }
}
