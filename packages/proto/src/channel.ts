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

/** gRPC metadata key of the caller's credential: `authorization: Bearer <token>` (as grpcurl -H and HTTP send it). */
export const AUTHORIZATION_KEY = 'authorization';

/**
 * A client interceptor that presents `token` on every call, so that call
 * sites need not pass metadata. An empty token presents nothing (a server
 * with authentication off).
 */
export function bearerInterceptor(token: string): grpc.Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_KEY, value);
        next(metadata, listener);
      },
    });
}

/** Client options with `token` presented on every call (unchanged for an empty token). */
export function withBearerToken(options: grpc.ClientOptions, token: string): grpc.ClientOptions {
  if (!token) return options;
  return { ...options, interceptors: [...(options.interceptors ?? []), bearerInterceptor(token)] };
}
