/**
 * The contract as protoc compiles it: the FileDescriptorSet of proto/
 * (generated/descriptor-set.ts, written by `npm run gen:proto`), with the real
 * file names, proto field names, map entries, proto3 optional fields and the
 * comments. Server reflection serves each file's bytes unchanged; the request
 * checks read field names and types from it. Only names and types are decoded
 * here, by walking the wire format: nothing is re-encoded.
 */
import protobuf from 'protobufjs/minimal.js';
import { DESCRIPTOR_SET_BASE64 } from './generated/descriptor-set.js';

/** google.protobuf.FieldDescriptorProto.Type values this code looks at. */
export const FIELD_TYPE = { STRING: 9, MESSAGE: 11, BYTES: 12 } as const;

export interface FieldSchema {
  /** The .proto name, e.g. `timeout_ms`. */
  readonly name: string;
  readonly number: number;
  readonly type: number;
  /** Full name of a message or enum type, without the leading dot. */
  readonly typeName: string;
  readonly repeated: boolean;
}

export interface MessageSchema {
  readonly fullName: string;
  readonly fields: ReadonlyMap<number, FieldSchema>;
  /** A map's entry type (`key`, `value`): paths show the key, not `entry.value`. */
  readonly mapEntry: boolean;
}

export interface MethodSchema {
  /** Full names of the request and response messages, without the leading dot. */
  readonly inputType: string;
  readonly outputType: string;
}

export interface ProtoFile {
  /** e.g. `distexec/v1/job_service.proto`. */
  readonly name: string;
  readonly dependencies: readonly string[];
  /** The FileDescriptorProto as protoc wrote it. */
  readonly bytes: Uint8Array;
}

/** Calls `onField` for every field of a message's bytes; a length-delimited field gets its bytes. */
export function forEachField(
  bytes: Uint8Array,
  onField: (number: number, wireType: number, reader: protobuf.Reader) => void,
): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const before = reader.pos;
    onField(tag >>> 3, tag & 7, reader);
    // The callback may have read the value; otherwise skip it.
    if (reader.pos === before) reader.skipType(tag & 7);
  }
}

function strings(bytes: Uint8Array, wanted: Record<number, (value: string) => void>): void {
  forEachField(bytes, (number, wireType, reader) => {
    const set = wanted[number];
    if (set && wireType === 2) set(reader.string());
  });
}

export class Descriptors {
  readonly files = new Map<string, ProtoFile>();
  readonly #fileOfSymbol = new Map<string, ProtoFile>();
  readonly #messages = new Map<string, MessageSchema>();
  readonly #services = new Set<string>();
  /** By path, `/distexec.v1.JobService/SubmitJob`. */
  readonly #methods = new Map<string, MethodSchema>();

  constructor(descriptorSet: Uint8Array) {
    forEachField(descriptorSet, (number, wireType, reader) => {
      if (number === 1 && wireType === 2) this.#addFile(reader.bytes());
    });
  }

  #addFile(bytes: Uint8Array): void {
    let name = '';
    let pkg = '';
    const dependencies: string[] = [];
    const bodies: [number, Uint8Array][] = [];
    forEachField(bytes, (number, wireType, reader) => {
      if (wireType !== 2) return;
      if (number === 1) name = reader.string();
      else if (number === 2) pkg = reader.string();
      else if (number === 3) dependencies.push(reader.string());
      else if (number === 4 || number === 5 || number === 6) bodies.push([number, reader.bytes()]);
    });
    const file: ProtoFile = { name, dependencies, bytes };
    this.files.set(name, file);
    const prefix = pkg ? `${pkg}.` : '';
    for (const [kind, body] of bodies) {
      if (kind === 4) this.#addMessage(file, prefix, body);
      else if (kind === 5) this.#addEnum(file, prefix, body);
      else this.#addService(file, prefix, body);
    }
  }

  #addMessage(file: ProtoFile, prefix: string, bytes: Uint8Array): void {
    let name = '';
    const fields = new Map<number, FieldSchema>();
    const nested: Uint8Array[] = [];
    const enums: Uint8Array[] = [];
    let mapEntry = false;
    forEachField(bytes, (number, wireType, reader) => {
      if (wireType !== 2) return;
      if (number === 1) name = reader.string();
      else if (number === 2) {
        const field = { name: '', number: 0, type: 0, typeName: '', repeated: false };
        forEachField(reader.bytes(), (n, _w, r) => {
          if (n === 1) field.name = r.string();
          else if (n === 3) field.number = r.int32();
          else if (n === 4) field.repeated = r.int32() === 3;
          else if (n === 5) field.type = r.int32();
          else if (n === 6) field.typeName = r.string().replace(/^\./, '');
        });
        fields.set(field.number, field);
      } else if (number === 3) nested.push(reader.bytes());
      else if (number === 4) enums.push(reader.bytes());
      else if (number === 7) {
        // MessageOptions.map_entry = 7
        forEachField(reader.bytes(), (n, _w, r) => {
          if (n === 7) mapEntry = r.bool();
        });
      }
    });
    const fullName = `${prefix}${name}`;
    this.#fileOfSymbol.set(fullName, file);
    this.#messages.set(fullName, { fullName, fields, mapEntry });
    for (const field of fields.values()) this.#fileOfSymbol.set(`${fullName}.${field.name}`, file);
    for (const body of nested) this.#addMessage(file, `${fullName}.`, body);
    for (const body of enums) this.#addEnum(file, `${fullName}.`, body);
  }

  #addEnum(file: ProtoFile, prefix: string, bytes: Uint8Array): void {
    forEachField(bytes, (number, wireType, reader) => {
      if (wireType !== 2) return;
      if (number === 1) this.#fileOfSymbol.set(`${prefix}${reader.string()}`, file);
      // Enum values are scoped like their enum, in its parent (C++ scoping rules).
      else if (number === 2)
        strings(reader.bytes(), { 1: (value) => this.#fileOfSymbol.set(`${prefix}${value}`, file) });
    });
  }

  #addService(file: ProtoFile, prefix: string, bytes: Uint8Array): void {
    let name = '';
    const methods: (MethodSchema & { name: string })[] = [];
    forEachField(bytes, (number, wireType, reader) => {
      if (wireType !== 2) return;
      if (number === 1) name = reader.string();
      else if (number === 2) {
        const method = { name: '', inputType: '', outputType: '' };
        strings(reader.bytes(), {
          1: (value) => (method.name = value),
          2: (value) => (method.inputType = value.replace(/^\./, '')),
          3: (value) => (method.outputType = value.replace(/^\./, '')),
        });
        methods.push(method);
      }
    });
    const fullName = `${prefix}${name}`;
    this.#services.add(fullName);
    this.#fileOfSymbol.set(fullName, file);
    for (const { name: method, inputType, outputType } of methods) {
      this.#fileOfSymbol.set(`${fullName}.${method}`, file);
      this.#methods.set(`/${fullName}/${method}`, { inputType, outputType });
    }
  }

  /** The file that defines a message, enum, enum value, field, service or method. */
  fileOfSymbol(fullName: string): ProtoFile | undefined {
    return this.#fileOfSymbol.get(fullName);
  }

  message(fullName: string): MessageSchema | undefined {
    return this.#messages.get(fullName);
  }

  /** A method by its gRPC path, `/distexec.v1.JobService/SubmitJob`. */
  method(path: string): MethodSchema | undefined {
    return this.#methods.get(path);
  }

  hasService(fullName: string): boolean {
    return this.#services.has(fullName);
  }

  /** The file and every file it imports, directly or not; the file first. */
  withDependencies(file: ProtoFile): ProtoFile[] {
    const seen = new Map<string, ProtoFile>();
    const visit = (current: ProtoFile): void => {
      if (seen.has(current.name)) return;
      seen.set(current.name, current);
      for (const dependency of current.dependencies) {
        const imported = this.files.get(dependency);
        if (imported) visit(imported);
      }
    };
    visit(file);
    return [...seen.values()];
  }
}

/** The descriptors of proto/, decoded once per process. */
export const descriptors = new Descriptors(Buffer.from(DESCRIPTOR_SET_BASE64, 'base64'));
