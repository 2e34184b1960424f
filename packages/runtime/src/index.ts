// What a dist-exec process needs around the wire: the gRPC server kit (handler
// wrappers, health and reflection, bind and shutdown), health probes of peers
// and the process logger. The wire itself is @dist-exec/proto.
export * from './server-kit.js';
export { addReflection, HEALTH_SERVICE, REFLECTION_SERVICE, ReflectionIndex } from './reflection.js';
export * from './probe.js';
export * from './process-logger.js';
export * from './auth/index.js';
