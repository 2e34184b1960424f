import * as grpc from '@grpc/grpc-js';
import { InternalError, roleGrants, type Permission } from '@dist-exec/core';
import { bearerToken, type Authentication, type Caller } from './caller.js';
import { METHOD_ACCESS, methodName } from './method-access.js';
import type { OpenStreams } from './open-streams.js';

/** A refused call, for the server's log (never the credential itself). */
export interface Refusal {
  method: string;
  code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  reason: string;
  /** The peer's address, as grpc-js reports it. */
  peer: string;
  /** The caller's token name, when it was known (a permission refusal). */
  caller?: string;
}

export interface AuthInterceptorOptions {
  /** Checks a presented credential (null: none was presented). Synchronous: it runs on every call. */
  authenticate(credential: string | null): Authentication;
  /** What each method needs. @default METHOD_ACCESS */
  access?: ReadonlyMap<string, Permission>;
  /** Streams are registered here, so that revoking a credential ends them. */
  streams?: OpenStreams;
  /** Told about every refused call. */
  refused?(refusal: Refusal): void;
}

/** The caller of each call that passed the interceptor, by the call's request metadata (the object handlers see). */
const callers = new WeakMap<grpc.Metadata, Caller>();

/**
 * The caller the auth interceptor let through. Throws (INTERNAL) when there
 * is none: a handler on a server without the interceptor must fail closed,
 * never run as nobody in particular.
 */
export function callerOf(call: { metadata: grpc.Metadata }): Caller {
  const caller = callers.get(call.metadata);
  if (!caller) throw new InternalError('the call has no authenticated caller (the server lacks its auth interceptor)');
  return caller;
}

/** What a refusal says is needed: the least role that would do, so the message says what to ask for. */
export function neededCredential(need: Permission): string {
  if (need === 'master') return "the master's credential";
  if (need === 'admin') return 'an admin token';
  return `a ${need} token (or an admin token)`;
}

function permissionMessage(caller: Caller, method: string, need: Permission): string {
  const role = neededCredential(need);
  return `token "${caller.name}" (role ${caller.role}) may not call ${methodName(method)}: it needs ${role}`;
}

/**
 * The server interceptor of master and worker: every call's credential
 * (`authorization: Bearer <token>` metadata) is checked against the table of
 * what each method needs before any handler runs. A missing or unknown
 * credential gets UNAUTHENTICATED, too small a role PERMISSION_DENIED, each
 * with one line that says what to do. The credential is taken out of the
 * metadata handlers see, so no handler can log it.
 */
export function authInterceptor(options: AuthInterceptorOptions): grpc.ServerInterceptor {
  const access = options.access ?? METHOD_ACCESS;
  return (descriptor, call) => {
    const method = descriptor.path;
    const need = access.get(method);
    const streaming = descriptor.requestStream || descriptor.responseStream;
    let forget: (() => void) | null = null;
    const refuse = (code: Refusal['code'], reason: string, caller?: string): void => {
      options.refused?.({ method, code, reason, peer: call.getPeer(), ...(caller ? { caller } : {}) });
      call.sendStatus({ code: grpc.status[code], details: reason, metadata: new grpc.Metadata() });
    };
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (need === 'open') {
          next(metadata);
          return;
        }
        if (need === undefined) {
          refuse('PERMISSION_DENIED', `${methodName(method)} is not open to any caller`);
          return;
        }
        const header = metadata.get('authorization')[0];
        metadata.remove('authorization');
        const result = options.authenticate(bearerToken(typeof header === 'string' ? header : null));
        if (!result.ok) {
          refuse('UNAUTHENTICATED', result.reason);
          return;
        }
        const caller = result.caller;
        if (!roleGrants(caller.role, need)) {
          refuse('PERMISSION_DENIED', permissionMessage(caller, method, need), caller.name);
          return;
        }
        callers.set(metadata, caller);
        if (streaming && options.streams) {
          forget = options.streams.add(caller.credentialId, (reason) =>
            call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: reason, metadata: new grpc.Metadata() }),
          );
        }
        next(metadata);
      })
      .withOnCancel(() => forget?.())
      .build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        forget?.();
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}
