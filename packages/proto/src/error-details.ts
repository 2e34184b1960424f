/**
 * Structured error details, as gRPC's richer error model carries them: a
 * `google.rpc.Status` in the `grpc-status-details-bin` trailer whose details
 * hold a `google.rpc.BadRequest` naming the field at fault by its .proto path
 * (`spec.timeout_ms`, `specs[3].command`). Clients in any language decode it
 * with their standard helpers (Go's status.FromError, Python's
 * grpc_status.rpc_status, Java's StatusProto). The messages are tiny, so they
 * are written and read here with protobufjs's wire writer and reader.
 */
import protobuf from 'protobufjs/minimal.js';
import { forEachField } from './descriptors.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

export interface FieldViolation {
  /** The .proto path of the field. */
  field: string;
  description: string;
}

/** `google.rpc.Status { code, message, details: [Any(BadRequest { field_violations })] }` */
export function encodeBadRequestStatus(code: number, message: string, violations: readonly FieldViolation[]): Buffer {
  const badRequest = protobuf.Writer.create();
  for (const violation of violations) {
    badRequest
      .uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string(violation.field)
      .uint32((2 << 3) | 2)
      .string(violation.description)
      .ldelim();
  }
  const status = protobuf.Writer.create()
    .uint32((1 << 3) | 0)
    .int32(code)
    .uint32((2 << 3) | 2)
    .string(message)
    .uint32((3 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(BAD_REQUEST_TYPE_URL)
    .uint32((2 << 3) | 2)
    .bytes(badRequest.finish())
    .ldelim();
  return Buffer.from(status.finish());
}

/** The field violations of a `google.rpc.Status`, empty when it has no BadRequest (or is not one). */
export function decodeFieldViolations(statusBytes: Uint8Array): FieldViolation[] {
  const violations: FieldViolation[] = [];
  try {
    forEachField(statusBytes, (number, wireType, reader) => {
      if (number !== 3 || wireType !== 2) return;
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array(0);
      forEachField(reader.bytes(), (n, w, r) => {
        if (n === 1 && w === 2) typeUrl = r.string();
        else if (n === 2 && w === 2) value = r.bytes();
      });
      if (typeUrl !== BAD_REQUEST_TYPE_URL) return;
      forEachField(value, (n, w, r) => {
        if (n !== 1 || w !== 2) return;
        const violation = { field: '', description: '' };
        forEachField(r.bytes(), (fn, fw, fr) => {
          if (fn === 1 && fw === 2) violation.field = fr.string();
          else if (fn === 2 && fw === 2) violation.description = fr.string();
        });
        violations.push(violation);
      });
    });
  } catch {
    // Details from another server that are not a Status: the message alone still says it.
    return [];
  }
  return violations;
}
