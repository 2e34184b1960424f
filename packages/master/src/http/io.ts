import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { HttpError } from './errors.js';
import { MAX_JSON_DEPTH, NestingScanner } from './json-depth.js';

/** Largest request body accepted, in bytes: a job spec with its stdin (1 MiB) and env fits. */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads and parses a JSON body. Refuses (before reading) a content type
 * other than JSON, which also keeps plain cross-site form posts out, a body
 * over `maxBytes`, and (while reading) one nested more than MAX_JSON_DEPTH deep.
 */
export async function readJson(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `send the body as JSON with "Content-Type: application/json"${type ? ` (got "${type}")` : ''}`,
    );
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = await readBody(req, maxBytes);
  // Decoding would put U+FFFD in place of bytes that are not UTF-8, and a command would run changed.
  if (!isUtf8(body))
    throw new HttpError(400, 'INVALID_ARGUMENT', 'the request body is not valid UTF-8; send JSON as UTF-8 text');
  const text = body.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'INVALID_ARGUMENT', 'the request body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'INVALID_ARGUMENT', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Collects the body; stops reading (without destroying the socket, so the
 * error still gets out) past `maxBytes`, or at the first level of nesting too deep.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const nesting = new NestingScanner();
    let size = 0;
    const stop = (error: HttpError): void => {
      req.off('data', onData);
      req.pause();
      reject(error);
    };
    const onData = (part: Buffer): void => {
      size += part.length;
      if (size > maxBytes) return stop(tooLarge(maxBytes));
      if (nesting.tooDeep(part)) return stop(tooDeep());
      parts.push(part);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(parts)));
    req.once('error', reject);
  });
}

function tooDeep(): HttpError {
  // The rest of the body is not read: close the connection rather than drain it.
  return new HttpError(
    400,
    'INVALID_ARGUMENT',
    `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} deep; a job spec needs 3`,
    { connection: 'close' },
  );
}

function tooLarge(maxBytes: number): HttpError {
  // The rest of the body is not read: close the connection rather than drain it.
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, {
    connection: 'close',
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** A query parameter that must be a whole number in range, or absent. */
export function queryInteger(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new HttpError(400, 'INVALID_ARGUMENT', `${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A boolean query parameter: true, 1, yes (or present without a value) and false, 0, no. */
export function queryBoolean(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null) return false;
  if (['', 'true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new HttpError(400, 'INVALID_ARGUMENT', `${name}: "${raw}" is not true or false`);
}
