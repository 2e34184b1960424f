/**
 * What a server learns of a request while it decodes it, for the handler
 * wrappers of the server kit: whether its strings are UTF-8, and its size.
 *
 * Strings must be valid UTF-8 (proto3 says so, and protobuf in C++, Go and
 * Java refuses a message that breaks it). protobufjs decodes invalid bytes
 * into U+FFFD without a word, so a command would run changed; this check
 * reads the request's bytes against the contract's descriptors before the
 * decoder sees them and names the first string field that is not UTF-8 by its
 * .proto path (`spec.command`, `specs[3].argv[1]`, `spec.env`).
 *
 * grpc-js answers INTERNAL to a deserializer that throws, so the finding rides
 * on the decoded request (`invalidUtf8Field`) and the handler wrappers turn it
 * into INVALID_ARGUMENT.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { descriptors, FIELD_TYPE, type MessageSchema } from './descriptors.js';

const INVALID_UTF8 = Symbol('invalidUtf8Field');
const ENCODED_BYTES = Symbol('encodedBytes');

/** The .proto path of the first string field of `bytes` (a `messageType`) that is not UTF-8, or null. */
export function findInvalidUtf8(bytes: Uint8Array, messageType: string): string | null {
  // Most requests are ASCII from end to end (tags, lengths below 128, text): nothing to look at.
  if (isAscii(bytes)) return null;
  const schema = descriptors.message(messageType);
  return schema ? walk(protobuf.Reader.create(bytes), bytes.length, schema, '') : null;
}

function walk(reader: protobuf.Reader, end: number, schema: MessageSchema, path: string): string | null {
  const counts = new Map<number, number>();
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = schema.fields.get(tag >>> 3);
    if ((tag & 7) !== 2 || !field || (field.type !== FIELD_TYPE.STRING && field.type !== FIELD_TYPE.MESSAGE)) {
      reader.skipType(tag & 7);
      continue;
    }
    const length = reader.uint32();
    const start = reader.pos;
    let name = path;
    // A map entry's key and value are reported as the map field itself.
    if (!schema.mapEntry) {
      name = path ? `${path}.${field.name}` : field.name;
      if (field.repeated && !descriptors.message(field.typeName)?.mapEntry) {
        const index = counts.get(field.number) ?? 0;
        counts.set(field.number, index + 1);
        name = `${name}[${index}]`;
      }
    }
    if (field.type === FIELD_TYPE.STRING) {
      if (!isUtf8(reader.buf.subarray(start, start + length))) return name;
    } else {
      const nested = descriptors.message(field.typeName);
      if (nested) {
        const found = walk(reader, start + length, nested, name);
        if (found) return found;
      }
    }
    reader.pos = start + length;
  }
  return null;
}

/** The field a request's strings broke, as found when it was decoded; null when they are all UTF-8. */
export function invalidUtf8Field(request: unknown): string | null {
  return typeof request === 'object' && request !== null
    ? ((request as { [INVALID_UTF8]?: string })[INVALID_UTF8] ?? null)
    : null;
}

/** The size of the request as it came over the wire, in bytes (0 when it was not decoded by a checked service). */
export function encodedBytes(request: unknown): number {
  return typeof request === 'object' && request !== null
    ? ((request as { [ENCODED_BYTES]?: number })[ENCODED_BYTES] ?? 0)
    : 0;
}

/**
 * Makes a service definition check each request for invalid UTF-8 as it is
 * decoded (see `invalidUtf8Field`) and note its size (`encodedBytes`), for the methods whose handlers go through
 * the server kit's unary and server-stream wrappers, which act on it. Streams
 * of requests (a worker's heartbeats and dispatches) are between our own
 * processes and are left as they are.
 */
export function checkStringsOnDecode(service: grpc.ServiceDefinition): void {
  for (const method of Object.values(service)) {
    const inputType = descriptors.method(method.path)?.inputType;
    if (!inputType || method.requestStream) continue;
    const decode = method.requestDeserialize;
    (method as { requestDeserialize: (bytes: Buffer) => unknown }).requestDeserialize = (bytes: Buffer) => {
      const request = decode(bytes) as object;
      const field = findInvalidUtf8(bytes, inputType);
      if (field) Object.defineProperty(request, INVALID_UTF8, { value: field, enumerable: false });
      Object.defineProperty(request, ENCODED_BYTES, { value: bytes.length, enumerable: false });
      return request;
    };
  }
}
