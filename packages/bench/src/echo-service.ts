import type * as grpc from '@grpc/grpc-js';

const bytes = { serialize: (value: Buffer): Buffer => value, deserialize: (value: Buffer): Buffer => value };

/** A service of raw byte messages, so the baseline measures grpc-js alone (no protobuf codec). */
export const ECHO_SERVICE: grpc.ServiceDefinition = {
  Ping: {
    path: '/bench.Echo/Ping',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
  Echo: {
    path: '/bench.Echo/Echo',
    requestStream: true,
    responseStream: true,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
};
