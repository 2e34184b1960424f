import type * as grpc from '@grpc/grpc-js';
import { num, tokenInfoToWire, tokenRoleFromWire, v1, type TokenServiceHandlers, type wire } from '@dist-exec/proto';
import { unary, type Caller } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import type { TokenRegistry } from './token-registry.js';

export interface TokenApiContext {
  tokens: TokenRegistry;
  logger: Logger;
  /** Who makes the call (the interceptor let only admins through). */
  caller(call: { metadata: grpc.Metadata }): Caller;
}

/** TokenService: the gRPC adapter of the token registry. */
export function tokenServiceHandlers(ctx: TokenApiContext): TokenServiceHandlers {
  const log = ctx.logger.child({ component: 'api' });
  const onInternalError = (error: unknown, method: string): void => log.error({ err: error, method }, 'request failed');
  return {
    CreateToken: unary(
      'CreateToken',
      async (request: wire.CreateTokenRequest__Output, call) => {
        const role =
          tokenRoleFromWire(request.role) ??
          String(request.role)
            .replace(/^TOKEN_ROLE_/, '')
            .toLowerCase();
        const { token, secret } = await ctx.tokens.create(
          { name: request.name, role, ttlMs: num(request.ttlMs) },
          ctx.caller(call).name,
        );
        return { token: tokenInfoToWire(token), secret };
      },
      onInternalError,
    ),
    ListTokens: unary(
      'ListTokens',
      (request: wire.ListTokensRequest__Output) => ({
        tokens: ctx.tokens.list(request.includeRevoked).map(tokenInfoToWire),
      }),
      onInternalError,
    ),
    RevokeToken: unary(
      'RevokeToken',
      async (request: wire.RevokeTokenRequest__Output) => ({
        token: tokenInfoToWire(await ctx.tokens.revoke(request.name)),
      }),
      onInternalError,
    ),
  };
}

export function addTokenService(server: grpc.Server, ctx: TokenApiContext): void {
  server.addService(v1.TokenService.service, tokenServiceHandlers(ctx));
}
