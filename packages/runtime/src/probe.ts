import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { createChannelCredentials, withTls, type ClientTls } from '@dist-exec/proto';

/** What a probe of a peer's gRPC health service found. */
export type ProbeResult =
  /** It answered SERVING. */
  | { type: 'serving' }
  /** It answered, but is not serving (starting, shutting down). */
  | { type: 'not-serving' }
  /** Nothing listens there: the connection was refused. The process is gone. */
  | { type: 'refused'; detail: string }
  /** No answer: busy, stopped, host down or the network cut. Proves nothing. */
  | { type: 'no-answer'; detail: string }
  | { type: 'error'; detail: string };

type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: unknown }) => void,
  ): void;
};
const HealthClientConstructor = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => HealthClient;

/**
 * Asks the gRPC health service at `address` once, over a fresh connection, so
 * the answer is about the peer now and not about a channel still backing off
 * from an earlier failure. `tls`: how this process dials its peers (null: plaintext).
 */
export function probeHealth(address: string, timeoutMs: number, tls: ClientTls | null = null): Promise<ProbeResult> {
  const client = new HealthClientConstructor(
    address,
    createChannelCredentials(tls, address),
    withTls({ 'grpc.enable_retries': 0 }, tls, address),
  );
  return new Promise<ProbeResult>((resolve) => {
    client.Check({ service: '' }, { deadline: new Date(Date.now() + timeoutMs) }, (error, response) => {
      client.close();
      if (!error) {
        resolve(
          response?.status === 'SERVING' || response?.status === 1 ? { type: 'serving' } : { type: 'not-serving' },
        );
        return;
      }
      resolve(classifyProbeError(error));
    });
  });
}

export function classifyProbeError(error: grpc.ServiceError): ProbeResult {
  const detail = error.details || error.message;
  if (error.code === grpc.status.DEADLINE_EXCEEDED) return { type: 'no-answer', detail };
  // Only a refusal is proof: the host answered, and nothing listens on the port.
  if (error.code === grpc.status.UNAVAILABLE && /ECONNREFUSED/.test(detail)) return { type: 'refused', detail };
  if (error.code === grpc.status.UNAVAILABLE) return { type: 'no-answer', detail };
  return { type: 'error', detail };
}
