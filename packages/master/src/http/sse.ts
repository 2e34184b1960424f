import type { ServerResponse } from 'node:http';

/** Comment lines keep idle streams open through proxies and let a dead client be noticed. */
export const SSE_KEEPALIVE_MS = 15_000;

/**
 * A server-sent events stream (what the browser's EventSource reads).
 * Returns a function that closes it; it closes itself when the client goes.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #keepalive: NodeJS.Timeout;
  #closed = false;

  constructor(res: ServerResponse, onClose: () => void = () => {}) {
    this.#res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tell nginx-like proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
    this.#keepalive.unref();
    res.once('close', () => {
      this.#stop();
      onClose();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(event: string, data: unknown): void {
    if (this.#closed) return;
    this.#res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#stop();
    this.#res.end();
  }

  #stop(): void {
    this.#closed = true;
    clearInterval(this.#keepalive);
  }
}

/** True when the client asked for server-sent events (EventSource sends this Accept header). */
export function wantsEventStream(accept: string | undefined, format: string | null): boolean {
  return format === 'sse' || (format === null && (accept ?? '').includes('text/event-stream'));
}
