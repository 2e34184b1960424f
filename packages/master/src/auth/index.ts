// Who may call the master: tokens (hashed, with roles), the claims of node
// ids, the bootstrap token files, the TokenService adapter and the HTTP guard.
export * from './token-registry.js';
export * from './node-claims.js';
export * from './bootstrap-token-file.js';
export * from './token-api.js';
export * from './master-auth.js';
