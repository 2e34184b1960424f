// Original file: proto/distexec/v1/token_service.proto

export const TokenRole = {
  TOKEN_ROLE_UNSPECIFIED: 'TOKEN_ROLE_UNSPECIFIED',
  TOKEN_ROLE_ADMIN: 'TOKEN_ROLE_ADMIN',
  TOKEN_ROLE_SUBMIT: 'TOKEN_ROLE_SUBMIT',
  TOKEN_ROLE_READ: 'TOKEN_ROLE_READ',
  TOKEN_ROLE_WORKER: 'TOKEN_ROLE_WORKER',
} as const;

export type TokenRole =
  | 'TOKEN_ROLE_UNSPECIFIED'
  | 0
  | 'TOKEN_ROLE_ADMIN'
  | 1
  | 'TOKEN_ROLE_SUBMIT'
  | 2
  | 'TOKEN_ROLE_READ'
  | 3
  | 'TOKEN_ROLE_WORKER'
  | 4

export type TokenRole__Output = typeof TokenRole[keyof typeof TokenRole]
