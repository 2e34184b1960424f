// Talking to the master: the token (this tab's sessionStorage only, never a
// cookie, so no other site can make the browser send it), JSON calls, and
// server-sent events read with fetch (which, unlike EventSource, can send the
// Authorization header).

const TOKEN_KEY = 'dist-exec.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/**
 * `#token=…` in the address (the link `dist-exec up` prints) is taken into
 * this tab's storage and removed from the address bar at once. A fragment is
 * never sent to a server, so the token stays out of logs and Referer headers.
 */
export function takeTokenFromUrl() {
  const match = /^#token=([^&]*)/.exec(location.hash);
  if (!match) return false;
  setToken(decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return true;
}

function authHeaders() {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** The master refused the token. */
export class Unauthorized extends Error {}
/** The master did not answer at all (down, restarting, network gone). */
export class Unreachable extends Error {}
/** The master answered with an error; `status` is the HTTP status. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const hooks = { unauthorized: () => {}, reachable: () => {}, unreachable: () => {} };

/** What the page does when the token is refused, and when the master stops or starts answering. */
export function onConnection(handlers) {
  Object.assign(hooks, handlers);
}

export async function api(path, options = {}) {
  let res;
  try {
    res = await fetch(path, {
      ...options,
      headers: {
        accept: 'application/json',
        ...authHeaders(),
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
    });
  } catch {
    hooks.unreachable();
    throw new Unreachable('the master is not answering; try again when it is back');
  }
  const body = await res.json().catch(() => null);
  const message = body?.error?.message ?? `${res.status} ${res.statusText}`;
  if (res.status === 401) {
    hooks.unauthorized(message);
    throw new Unauthorized(message);
  }
  // A proxy in front of a master that is down, or a follower that knows no leader, answers 502/503/504
  // without our {error: {code, message}}. (A 503 with one is the master's own word: the store is down.)
  if (res.status >= 502 && res.status <= 504 && !body?.error?.message) {
    hooks.unreachable();
    throw new Unreachable('the master is not answering; try again when it is back');
  }
  hooks.reachable();
  if (!res.ok) throw new ApiError(message, res.status);
  return body;
}

/**
 * Calls `on[event](data)` per event and `onOpen()` once connected;
 * `onError(error)` when the stream fails or ends. Returns a function that
 * closes it.
 */
export function eventStream(path, on, onOpen, onError) {
  const abort = new AbortController();
  (async () => {
    const res = await fetch(path, {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      signal: abort.signal,
    });
    if (res.status === 401) {
      const body = await res.json().catch(() => null);
      hooks.unauthorized(body?.error?.message);
      return;
    }
    if (!res.ok || !res.body) throw new Error(`${res.status} ${res.statusText}`);
    onOpen?.();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length) on[event]?.(data.join('\n'));
      }
    }
    throw new Error('the stream ended');
  })().catch((error) => {
    if (!abort.signal.aborted) onError?.(error);
  });
  return () => abort.abort();
}
