import * as grpc from '@grpc/grpc-js';

/** Messages may carry up to a few MiB of output or stdin; leave room above our own limits. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // Notice dead peers on idle connections within ~20s instead of TCP's minutes.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
};

export function createChannelCredentials(): grpc.ChannelCredentials {
  return grpc.credentials.createInsecure();
}
