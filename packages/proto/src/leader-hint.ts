import type * as grpc from '@grpc/grpc-js';

/**
 * Several masters share one PostgreSQL database; one leads. A follower answers
 * UNAVAILABLE with the leader's gRPC address in this trailing metadata key
 * (and in the message), so clients and workers can go straight there.
 */
export const LEADER_ADDRESS_METADATA = 'dist-exec-leader';

/** The leader's address a follower named in its refusal ('' when the error names none). */
export function leaderHint(error: unknown): string {
  const metadata = (error as Partial<grpc.ServiceError> | null)?.metadata;
  const value = typeof metadata?.get === 'function' ? metadata.get(LEADER_ADDRESS_METADATA)[0] : undefined;
  return typeof value === 'string' ? value : '';
}

/** Splits a list of masters (`a:50051,b:50051`, as --master and DIST_EXEC_MASTER take it) into its addresses. */
export function masterAddresses(list: string): string[] {
  return list
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
}
