/**
 * The wire between the worker and its spawner helper (`spawner/spawner.c`
 * describes it from the other side; `spawner.pl` speaks it too). Requests:
 * u32 length, a1 kind, u32 id, then the kind's body: B the environment every
 * job starts from, S start a job, K signal a job. Events: a1 type, u32 id,
 * u32 length, body.
 */

/** The user a job runs as. */
export interface Credentials {
  uid: number;
  gid: number;
  /** Supplementary groups. */
  groups: readonly number[];
}

/** A resource limit the child sets before it execs (`setrlimit`): RLIMIT_* numbers of Linux. */
export interface ResourceLimit {
  resource: number;
  /** Infinity = unlimited. */
  soft: number;
  hard: number;
}

/** The cgroups a job runs in: created before it starts, joined by its first process before it execs. */
export interface CgroupPlan {
  /** One per hierarchy (cgroup v1) or one (v2); processes are listed and killed through the first. */
  dirs: readonly string[];
  /** Files written (limits) after the dirs are created, in order. */
  writes: readonly (readonly [path: string, value: string])[];
  /** Files read when the job has ended and everything in it is dead: what it used, whether it was OOM-killed. */
  reads: readonly string[];
  /** Remove the dirs at the end. */
  remove: boolean;
}

export interface SpawnRequest {
  file: string;
  argv: readonly string[];
  /** '' = the worker's. */
  cwd: string;
  /** Laid over the environment the helper was given. */
  env: Readonly<Record<string, string>>;
  stdin: Uint8Array;
  /** Run as another user; null or absent = as the helper. */
  credentials?: Credentials | null;
  /** Native helper only. */
  limits?: readonly ResourceLimit[];
  cgroup?: CgroupPlan | null;
  /**
   * A "K=V" entry of the job's environment: without a cgroup, the helper
   * kills the orphans that carry it (they left the job's group) with the job.
   */
  marker?: string;
}

/** What the helper measured of a job that ended. */
export interface SpawnUsage {
  /** User + system CPU time of the main process and the children it waited for. */
  cpuMicros: number;
  /** Largest resident set among them. */
  maxRssBytes: number;
  /** false: processes of the job outlived the kill (stuck in the kernel, say). */
  clean: boolean;
  /** The content of each of the plan's `reads`, in order ('' when unreadable). */
  reads: string[];
}

export const EVENT = { started: 0x53, failed: 0x45, stdout: 0x4f, stderr: 0x52, ended: 0x58 } as const;

const HEADER = 9;
const EMPTY = Buffer.alloc(0);
const KEEP = 0xffffffff;
const FLAG_REMOVE = 1;

function frameOf(kind: string, id: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(9 + body.length);
  frame.writeUInt32BE(5 + body.length, 0);
  frame.write(kind, 4, 'latin1');
  frame.writeUInt32BE(id, 5);
  body.copy(frame, 9);
  return frame;
}

function strings(list: readonly string[]): Buffer {
  return list.length ? Buffer.from(`${list.join('\0')}\0`) : EMPTY;
}

/** The environment every job starts from (request id 0). */
export function encodeBaseEnv(env: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(entries.length, 0);
  return frameOf('B', 0, Buffer.concat([count, strings(entries)]));
}

export function encodeKill(id: number, signal: number): Buffer {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(signal, 0);
  return frameOf('K', id, body);
}

export function encodeRequest(id: number, request: SpawnRequest): Buffer {
  const parts: string[] = [request.file, request.cwd, ...request.argv];
  let envc = 0;
  for (const key in request.env) {
    parts.push(`${key}=${request.env[key]}`);
    envc += 1;
  }
  const cgroup = request.cgroup;
  if (cgroup) {
    parts.push(...cgroup.dirs);
    for (const [path, value] of cgroup.writes) parts.push(path, value);
    parts.push(...cgroup.reads);
  }
  parts.push(request.marker ?? '');
  const text = Buffer.from(`${parts.join('\0')}\0`);
  const credentials = request.credentials;
  const groups = credentials?.groups ?? [];
  const limits = request.limits ?? [];
  const numbers = [
    request.argv.length,
    envc,
    credentials ? credentials.uid : KEEP,
    credentials ? credentials.gid : KEEP,
    groups.length,
    ...groups,
    limits.length,
  ];
  const head = Buffer.allocUnsafe(4 * (numbers.length + 4) + 20 * limits.length);
  let at = 0;
  for (const n of numbers) at = head.writeUInt32BE(n, at);
  for (const limit of limits) {
    at = head.writeUInt32BE(limit.resource, at);
    at = writeU64(head, limit.soft, at);
    at = writeU64(head, limit.hard, at);
  }
  at = head.writeUInt32BE(cgroup?.dirs.length ?? 0, at);
  at = head.writeUInt32BE(cgroup?.writes.length ?? 0, at);
  at = head.writeUInt32BE(cgroup?.reads.length ?? 0, at);
  head.writeUInt32BE(cgroup?.remove ? FLAG_REMOVE : 0, at);
  return frameOf('S', id, Buffer.concat([head, text, request.stdin]));
}

function writeU64(buffer: Buffer, value: number, at: number): number {
  const big = value === Infinity ? 0xffffffffffffffffn : BigInt(Math.max(0, Math.floor(value)));
  return buffer.writeBigUInt64BE(big, at);
}

/** The body of an `ended` event: "code signal cpu_us maxrss_kb clean", then NUL and each read file. */
export function decodeEnded(body: Buffer): { code: number; signal: number; usage: SpawnUsage } {
  const nul = body.indexOf(0);
  const head = body.toString('latin1', 0, nul < 0 ? body.length : nul).split(' ');
  const reads = nul < 0 ? [] : body.toString('utf8', nul + 1).split('\0');
  const [code, signal, cpuMicros, maxRssKb, clean] = head.map(Number) as number[];
  return {
    code: code ?? 0,
    signal: signal ?? 0,
    usage: {
      cpuMicros: cpuMicros ?? 0,
      maxRssBytes: (maxRssKb ?? 0) * 1024,
      clean: head.length < 5 || clean !== 0,
      reads,
    },
  };
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
