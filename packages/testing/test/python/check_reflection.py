"""Loads what a gRPC server says about itself through server reflection into a
fresh protobuf descriptor pool, as a dynamic client in Python would, then
calls SubmitJob with a request built from those descriptors alone.

The pool is strict: it refuses invalid map entries, missing imports and
duplicate symbols. Prints one JSON object for the test to check.

usage: check_reflection.py HOST:PORT SUBMIT(0|1)   (PYTHONPATH holds the stubs)
"""
import json
import os
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from dist_exec_std import reflection_pb2, reflection_pb2_grpc


def message_class(pool, full_name):
    descriptor = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def main():
    address, submit = sys.argv[1], sys.argv[2] == "1"
    channel = grpc.insecure_channel(address)
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    def ask(**request):
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(**request)]), timeout=10)
        response = next(iter(responses))
        if response.HasField("error_response"):
            return None, response.error_response
        return response, None

    listed, _ = ask(list_services="")
    services = [s.name for s in listed.list_services_response.service]

    files = {}
    for service in services:
        response, _ = ask(file_containing_symbol=service)
        for raw in response.file_descriptor_response.file_descriptor_proto:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[proto.name] = proto

    # A pool takes a file only after its imports.
    pool = descriptor_pool.DescriptorPool()
    added = set()
    while len(added) < len(files):
        progress = False
        for name, proto in sorted(files.items()):
            if name not in added and all(dep in added for dep in proto.dependency):
                pool.Add(proto)
                added.add(name)
                progress = True
        if not progress:
            raise SystemExit("imports missing from reflection: " + ", ".join(sorted(set(files) - added)))

    methods = {}
    for service in services:
        descriptor = pool.FindServiceByName(service)
        methods[service] = [m.name for m in descriptor.methods]

    result = {"services": services, "files": sorted(files), "methods": methods}
    types = files.get("distexec/v1/types.proto")
    if types:
        spec = next(m for m in types.message_type if m.name == "JobSpec")
        env = next(f for f in spec.field if f.name == "env")
        entry = pool.FindMessageTypeByName("distexec.v1.JobSpec").fields_by_name["env"].message_type
        job = next(m for m in types.message_type if m.name == "Job")
        exit_code = next(f for f in job.field if f.name == "exit_code")
        result["env_type"] = env.type_name
        result["env_map_entry"] = entry.GetOptions().map_entry
        result["exit_code_proto3_optional"] = exit_code.proto3_optional
        result["field_names"] = [f.name for f in spec.field]
        result["comments"] = sum(1 for loc in types.source_code_info.location if loc.leading_comments)

    missing, error = ask(file_containing_symbol="distexec.v1.NoSuchThing")
    result["unknown_symbol_error"] = error.error_code if error else None

    if submit:
        request_class = message_class(pool, "distexec.v1.SubmitJobRequest")
        response_class = message_class(pool, "distexec.v1.SubmitJobResponse")
        request = json_format.Parse(
            json.dumps({"spec": {"command": "echo from-python-reflection", "timeout_ms": 30000, "labels": {"via": "reflection"}}}),
            request_class(),
        )
        call = channel.unary_unary(
            "/distexec.v1.JobService/SubmitJob",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        # The master checks a token on every call but health and reflection.
        answer = call(request, timeout=10, metadata=[("authorization", "Bearer " + os.environ["DIST_EXEC_TOKEN"])])
        result["submitted"] = json_format.MessageToDict(answer, preserving_proto_field_name=True)

    print(json.dumps(result))


main()
