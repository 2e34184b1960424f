/**
 * The wire between the worker and its spawner helper (`spawner/spawner.pl`
 * describes it from the other side). Requests: u32 length, u32 id, u32 argc,
 * u32 envc, NUL-terminated file, cwd, argv and env strings, then stdin.
 * Events: a1 type, u32 id, u32 length, body.
 */

export interface SpawnRequest {
  file: string;
  argv: readonly string[];
  /** '' = the worker's. */
  cwd: string;
  /** Laid over the environment the helper was given. */
  env: Readonly<Record<string, string>>;
  stdin: Uint8Array;
}

export const EVENT = { started: 0x53, failed: 0x45, stdout: 0x4f, stderr: 0x52, ended: 0x58 } as const;

const HEADER = 9;
const EMPTY = Buffer.alloc(0);

export function encodeRequest(id: number, request: SpawnRequest): Buffer {
  const parts: string[] = [request.file, request.cwd, ...request.argv];
  let envc = 0;
  for (const key in request.env) {
    parts.push(`${key}=${request.env[key]}`);
    envc += 1;
  }
  const strings = Buffer.from(`${parts.join('\0')}\0`);
  const frame = Buffer.allocUnsafe(16 + strings.length + request.stdin.length);
  frame.writeUInt32BE(12 + strings.length + request.stdin.length, 0);
  frame.writeUInt32BE(id, 4);
  frame.writeUInt32BE(request.argv.length, 8);
  frame.writeUInt32BE(envc, 12);
  strings.copy(frame, 16);
  frame.set(request.stdin, 16 + strings.length);
  return frame;
}

export interface EventSink {
  /** A whole started / failed / ended event. */
  event(type: number, id: number, body: Buffer): void;
  /** Output bytes as they arrive: a large chunk of output is passed on in pieces, never copied to be reassembled. */
  output(type: number, id: number, data: Buffer): void;
}

/** Splits the helper's stdout into events, across reads. */
export class EventReader {
  readonly #sink: EventSink;
  /** Header bytes of a frame whose header straddles two reads. */
  #partial: Buffer = EMPTY;
  #type = 0;
  #id = 0;
  /** Body bytes still to come of the current frame; -1 between frames. */
  #remaining = -1;
  #small: Buffer[] = [];

  constructor(sink: EventSink) {
    this.#sink = sink;
  }

  push(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.#remaining < 0) {
        const available = this.#partial.length + data.length - at;
        if (available < HEADER) {
          this.#partial = Buffer.concat([this.#partial, data.subarray(at)]);
          return;
        }
        let header = data.subarray(at, at + HEADER);
        if (this.#partial.length) {
          const need = HEADER - this.#partial.length;
          header = Buffer.concat([this.#partial, data.subarray(at, at + need)]);
          this.#partial = EMPTY;
          at += need;
        } else {
          at += HEADER;
        }
        this.#type = header[0] as number;
        this.#id = header.readUInt32BE(1);
        this.#remaining = header.readUInt32BE(5);
        if (this.#remaining === 0) {
          if (this.#type === EVENT.stdout || this.#type === EVENT.stderr) this.#remaining = -1;
          else this.#complete(EMPTY);
          continue;
        }
      }
      const take = Math.min(this.#remaining, data.length - at);
      const piece = data.subarray(at, at + take);
      at += take;
      this.#remaining -= take;
      if (this.#type === EVENT.stdout || this.#type === EVENT.stderr) {
        if (this.#remaining === 0) this.#remaining = -1;
        this.#sink.output(this.#type, this.#id, own(piece));
      } else {
        this.#small.push(piece);
        if (this.#remaining === 0) {
          const body = this.#small.length === 1 ? (this.#small[0] as Buffer) : Buffer.concat(this.#small);
          this.#small = [];
          this.#complete(body);
        }
      }
    }
  }

  #complete(body: Buffer): void {
    this.#remaining = -1;
    this.#sink.event(this.#type, this.#id, body);
  }
}

/**
 * Output is kept until the master has it; a small slice of a read that
 * carried other jobs' events would keep the whole read alive, so it is copied.
 */
function own(piece: Buffer): Buffer {
  return piece.length * 2 >= piece.buffer.byteLength ? piece : Buffer.from(piece);
}
