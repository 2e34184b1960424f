import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
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

/** How a client dials over TLS (PEM contents, as node:tls and grpc-js take them). */
export interface ClientTls {
  /** CA certificates the server's certificate must be signed by; null: the system's CAs. */
  ca: Buffer | null;
  /** A client certificate (and its key) for a server that requires one (--tls-client-ca); null: none. */
  cert: Buffer | null;
  key: Buffer | null;
}

/** The host of `host:port` (or `[v6]:port`), as a certificate must name it. */
function hostOf(target: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(target);
  if (bracketed) return bracketed[1] ?? target;
  return target.replace(/:\d+$/, '');
}

/**
 * SNI may not carry an IP address (RFC 6066; Node warns on every process
 * that tries): for an IP target the name sent is this placeholder, and the
 * certificate is checked against the IP all the same (see createChannelCredentials).
 */
const IP_SNI_PLACEHOLDER = 'ip-address.dist-exec.invalid';

/**
 * Credentials to dial `target` (host:port): plaintext without `tls`;
 * otherwise TLS verified against `tls.ca` (else the system's CAs), presenting
 * `tls.cert` when given. A certificate that does not name the host fails
 * with `certificate is for <its names>, not <host>` (see describeTlsFailure).
 * Give the channel `withTls(options, tls, target)` too.
 */
export function createChannelCredentials(tls: ClientTls | null = null, target = ''): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const host = hostOf(target);
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
    // grpc-js passes the name it sent as SNI; the host dialled is what must match.
    checkServerIdentity: (_name: string, cert: PeerCertificate) => {
      if (!checkServerIdentity(host, cert)) return undefined;
      const names = (cert.subjectaltname ?? '').replace(/(DNS|IP Address):/g, '') || cert.subject?.CN || 'no name';
      return new Error(`certificate is for ${names}, not ${host}`);
    },
  });
}

/** Channel options that go with createChannelCredentials(tls, target) (unchanged without tls or for a host name). */
export function withTls(options: grpc.ChannelOptions, tls: ClientTls | null, target: string): grpc.ChannelOptions {
  if (!tls || !isIP(hostOf(target))) return options;
  return { ...options, 'grpc.ssl_target_name_override': IP_SNI_PLACEHOLDER };
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
