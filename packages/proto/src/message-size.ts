/**
 * How big our messages are on the wire, so the master keeps every answer
 * within what any gRPC client takes by default: 4 MiB, the receive limit of
 * grpc-js, grpc-go, grpc-java and the C core (Python, C++, Ruby, ...). Its own
 * send limit is higher (MAX_MESSAGE_BYTES), so without this a large page
 * would go out and fail on the client, which learns nothing.
 */
/** The most a gRPC client receives in one message unless configured otherwise. */
export const DEFAULT_CLIENT_RECEIVE_BYTES = 4 * 1024 * 1024;

/** What one answer or stream message of ours may take: the default receive limit, less room for a page's token and counts. */
export const ANSWER_BUDGET_BYTES = DEFAULT_CLIENT_RECEIVE_BYTES - 4096;

/** Bytes of a varint. */
function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes += 1;
  }
  return bytes;
}

/** Bytes a message of `bytes` takes as a field (tag below 16, length, body) of its parent. */
export function embeddedBytes(bytes: number): number {
  return 1 + varintBytes(bytes) + bytes;
}
