/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, the same messages
 * under two names) answered from the contract's real descriptors: the files
 * as protoc compiles proto/ (`distexec/v1/job_service.proto`, ...), served
 * byte for byte, so grpcurl, buf curl, Postman and other languages' descriptor
 * pools accept them. Each server lists only the services it serves, and
 * resolves only symbols of the files those services need.
 *
 * The messages are few and small, so they are read and written here with
 * protobufjs's wire reader and writer rather than loaded from reflection.proto.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { descriptors, forEachField, type ProtoFile } from '@dist-exec/proto';

/** The standard health service, which every server of ours serves beside its own. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
/** This service, listed as grpc-go lists it (v1alpha is answered too, for older clients, but not listed). */
export const REFLECTION_SERVICE = 'grpc.reflection.v1.ServerReflection';

type RequestKind =
  | 'file_by_filename'
  | 'file_containing_symbol'
  | 'file_containing_extension'
  | 'all_extension_numbers_of_type'
  | 'list_services';

const REQUEST_KINDS: Record<number, RequestKind> = {
  3: 'file_by_filename',
  4: 'file_containing_symbol',
  5: 'file_containing_extension',
  6: 'all_extension_numbers_of_type',
  7: 'list_services',
};

interface ReflectionRequest {
  /** The request as received, echoed in `original_request`. */
  raw: Uint8Array;
  host: string;
  kind: RequestKind | null;
  /** The name asked about (for an extension request, its containing type). */
  name: string;
}

function decodeRequest(raw: Buffer): ReflectionRequest {
  const request: ReflectionRequest = { raw, host: '', kind: null, name: '' };
  forEachField(raw, (number, wireType, reader) => {
    if (wireType !== 2) return;
    if (number === 1) request.host = reader.string();
    else if (number === 5) {
      request.kind = 'file_containing_extension';
      forEachField(reader.bytes(), (n, w, r) => {
        if (n === 1 && w === 2) request.name = r.string();
      });
    } else if (REQUEST_KINDS[number]) {
      request.kind = REQUEST_KINDS[number];
      request.name = reader.string();
    }
  });
  return request;
}

type Answer =
  | { files: ProtoFile[] }
  | { services: readonly string[] }
  | { extensionsOf: string }
  | { error: grpc.status; message: string };

function encodeResponse(request: ReflectionRequest, answer: Answer): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).string(request.host);
  writer.uint32((2 << 3) | 2).bytes(request.raw);
  if ('files' in answer) {
    writer.uint32((4 << 3) | 2).fork();
    for (const file of answer.files) writer.uint32((1 << 3) | 2).bytes(file.bytes);
    writer.ldelim();
  } else if ('services' in answer) {
    writer.uint32((6 << 3) | 2).fork();
    for (const name of answer.services)
      writer
        .uint32((1 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string(name)
        .ldelim();
    writer.ldelim();
  } else if ('extensionsOf' in answer) {
    // No message of ours has extension ranges: the list is empty.
    writer
      .uint32((5 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string(answer.extensionsOf)
      .ldelim();
  } else {
    writer
      .uint32((7 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int32(answer.error)
      .uint32((2 << 3) | 2)
      .string(answer.message)
      .ldelim();
  }
  return Buffer.from(writer.finish());
}

/** What one server tells about itself. */
export class ReflectionIndex {
  readonly services: readonly string[];
  /** The files the served services need; symbols elsewhere are not this server's. */
  readonly #files: ReadonlySet<string>;

  constructor(services: readonly string[]) {
    this.services = [...services, HEALTH_SERVICE, REFLECTION_SERVICE];
    const files = new Set<string>();
    for (const service of this.services) {
      const file = descriptors.fileOfSymbol(service);
      if (!file) throw new Error(`${service} is not defined in proto/`);
      for (const needed of descriptors.withDependencies(file)) files.add(needed.name);
    }
    this.#files = files;
  }

  answer(request: ReflectionRequest): Answer {
    const notFound = (what: string): Answer => ({ error: grpc.status.NOT_FOUND, message: `${what} not found` });
    switch (request.kind) {
      case 'list_services':
        return { services: this.services };
      case 'file_by_filename': {
        const file = this.#files.has(request.name) ? descriptors.files.get(request.name) : undefined;
        return file ? { files: descriptors.withDependencies(file) } : notFound(`file ${request.name}`);
      }
      case 'file_containing_symbol': {
        const file = descriptors.fileOfSymbol(request.name);
        return file && this.#files.has(file.name)
          ? { files: descriptors.withDependencies(file) }
          : notFound(`symbol ${request.name}`);
      }
      case 'all_extension_numbers_of_type': {
        const file = descriptors.fileOfSymbol(request.name);
        return file && this.#files.has(file.name) && descriptors.message(request.name)
          ? { extensionsOf: request.name }
          : notFound(`type ${request.name}`);
      }
      case 'file_containing_extension':
        return notFound(`extension of ${request.name}`);
      default:
        return { error: grpc.status.INVALID_ARGUMENT, message: 'the request asks for nothing this server knows' };
    }
  }
}

function definition(pkg: string): grpc.ServiceDefinition {
  return {
    ServerReflectionInfo: {
      path: `/${pkg}.ServerReflection/ServerReflectionInfo`,
      requestStream: true,
      responseStream: true,
      requestSerialize: (value: Buffer) => value,
      requestDeserialize: decodeRequest,
      responseSerialize: (value: Buffer) => value,
      responseDeserialize: (value: Buffer) => value,
      originalName: 'serverReflectionInfo',
    },
  };
}

const DEFINITIONS = [definition('grpc.reflection.v1'), definition('grpc.reflection.v1alpha')];

/** Adds reflection v1 and v1alpha to a server, listing `services` (full names), health and reflection. */
export function addReflection(server: grpc.Server, services: readonly string[]): void {
  const index = new ReflectionIndex(services);
  const implementation: grpc.UntypedServiceImplementation = {
    ServerReflectionInfo: (call: grpc.ServerDuplexStream<ReflectionRequest, Buffer>) => {
      call.on('data', (request: ReflectionRequest) => call.write(encodeResponse(request, index.answer(request))));
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  };
  for (const serviceDefinition of DEFINITIONS) server.addService(serviceDefinition, implementation);
}
