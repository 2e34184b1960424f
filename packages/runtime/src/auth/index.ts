export * from './auth-interceptor.js';
export * from './caller.js';
export * from './method-access.js';
export * from './open-streams.js';
export * from './token-file.js';
export * from './refusal-log.js';
