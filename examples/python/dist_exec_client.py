"""A dist-exec client in Python, from the .proto files alone.

Generate the stubs first (see README.md), then:

    PYTHONPATH=gen python3 dist_exec_client.py run 'echo hello from $DIST_EXEC_NODE_ID'
    PYTHONPATH=gen python3 dist_exec_client.py submit-many --count 100 'echo $DIST_EXEC_JOB_ID'
    PYTHONPATH=gen python3 dist_exec_client.py list --state RUNNING --limit 500
    PYTHONPATH=gen python3 dist_exec_client.py watch JOB_ID
    PYTHONPATH=gen python3 dist_exec_client.py cancel JOB_ID

It presents a token on every call (gRPC metadata `authorization: Bearer
<token>`): --token-file, or $DIST_EXEC_TOKEN, or $DIST_EXEC_TOKEN_FILE, else
./.dist-exec/admin.token (where `npm start` keeps its admin token).

It shows what a client in any language should do: wait for the connection
with a deadline, give every call a deadline, keep long streams alive with
keepalive pings, resume a broken watch from the last chunk's offset +
len(data), page with next_page_token until it is empty, give every job of a
bulk submit an idempotency key so a retry creates nothing twice, and read
the field of an INVALID_ARGUMENT from its google.rpc.BadRequest details.
"""
import argparse
import collections
import os
import sys
import time
import uuid

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from distexec.v1 import job_service_pb2 as jobs
from distexec.v1 import job_service_pb2_grpc as jobs_grpc
from distexec.v1 import types_pb2 as types

CALL_TIMEOUT_S = 15
# Keepalive pings notice a master that went silent under a long watch.
CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
]
FINAL_STATES = {types.JOB_STATE_COMPLETED, types.JOB_STATE_FAILED, types.JOB_STATE_CANCELLED}


class _CallDetails(
    collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


class BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call: the master checks it on every one."""

    def __init__(self, token):
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details):
        metadata = list(details.metadata or []) + [self._header]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)


def read_token(token_file):
    """The token from --token-file, $DIST_EXEC_TOKEN, $DIST_EXEC_TOKEN_FILE or ./.dist-exec/admin.token."""
    if not token_file and os.environ.get("DIST_EXEC_TOKEN"):
        return os.environ["DIST_EXEC_TOKEN"].strip()
    path = token_file or os.environ.get("DIST_EXEC_TOKEN_FILE") or os.path.join(".dist-exec", "admin.token")
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError as error:
        raise SystemExit(f"error: token file {path}: {error.strerror}; pass --token-file or set DIST_EXEC_TOKEN_FILE")


def connect(address, connect_timeout_s, token):
    channel = grpc.intercept_channel(grpc.insecure_channel(address, options=CHANNEL_OPTIONS), BearerToken(token))
    try:
        grpc.channel_ready_future(channel).result(timeout=connect_timeout_s)
    except grpc.FutureTimeoutError:
        raise SystemExit(f"error: no gRPC answer from {address} within {connect_timeout_s}s: is the master running there?")
    return jobs_grpc.JobServiceStub(channel)


def _rpc_status_classes():
    """google.rpc.Status and BadRequest, built here so the example needs no googleapis-common-protos."""
    file = descriptor_pb2.FileDescriptorProto(name="dist_exec_example/rpc.proto", package="google.rpc", syntax="proto3")
    any_type = file.message_type.add(name="Any")
    any_type.field.add(name="type_url", number=1, type=9, label=1)
    any_type.field.add(name="value", number=2, type=12, label=1)
    status = file.message_type.add(name="Status")
    status.field.add(name="code", number=1, type=5, label=1)
    status.field.add(name="message", number=2, type=9, label=1)
    status.field.add(name="details", number=3, type=11, label=3, type_name=".google.rpc.Any")
    bad_request = file.message_type.add(name="BadRequest")
    violation = bad_request.nested_type.add(name="FieldViolation")
    violation.field.add(name="field", number=1, type=9, label=1)
    violation.field.add(name="description", number=2, type=9, label=1)
    bad_request.field.add(name="field_violations", number=1, type=11, label=3, type_name=".google.rpc.BadRequest.FieldViolation")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    factory = message_factory.MessageFactory(pool)
    make = getattr(message_factory, "GetMessageClass", None)
    lookup = (lambda name: make(pool.FindMessageTypeByName(name))) if make else (lambda name: factory.GetPrototype(pool.FindMessageTypeByName(name)))
    return lookup("google.rpc.Status"), lookup("google.rpc.BadRequest")


def describe_error(error):
    """One line: the status, the message, and for INVALID_ARGUMENT the field from the BadRequest details."""
    line = f"error: {error.code().name}: {error.details()}"
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status_class, bad_request_class = _rpc_status_classes()
            for detail in status_class.FromString(value).details:
                if detail.type_url.endswith("/google.rpc.BadRequest"):
                    for violation in bad_request_class.FromString(detail.value).field_violations:
                        line += f" [field {violation.field}]"
    return line


def print_output(chunk):
    stream = sys.stdout if chunk.stream == types.OUTPUT_STREAM_STDOUT else sys.stderr
    stream.buffer.write(chunk.data)
    stream.flush()


def exit_status(job):
    if job.state == types.JOB_STATE_COMPLETED:
        return 0
    if job.state == types.JOB_STATE_CANCELLED:
        return 130
    if job.reason == types.FAILURE_REASON_TIMEOUT:
        return 124
    if job.HasField("exit_code") and 0 < job.exit_code < 256:
        return job.exit_code
    return 1


def watch(stub, job_id, offset=0):
    """Follows a job to its end, resuming a broken stream from the last chunk's offset + len(data)."""
    last = None
    for attempt in range(30):
        try:
            for event in stub.WatchJob(jobs.WatchJobRequest(id=job_id, from_offset=offset, follow=True)):
                if event.HasField("output"):
                    print_output(event.output)
                    offset = event.output.offset + len(event.output.data)
                else:
                    last = event.job
            if last is not None and last.state in FINAL_STATES:
                return last
        except grpc.RpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise
        print(f"(connection lost; resuming from byte {offset})", file=sys.stderr)
        time.sleep(min(5, 0.25 * 2**attempt))
    raise SystemExit("error: gave up watching the job")


def cmd_run(stub, args):
    spec = types.JobSpec(command=args.command, timeout_ms=args.timeout_ms)
    job_id, offset, last = None, 0, None
    try:
        for event in stub.RunJob(jobs.RunJobRequest(spec=spec)):
            which = event.WhichOneof("event")
            if which == "submitted":
                job_id = event.submitted.job.id
                print(f"job {job_id} submitted", file=sys.stderr)
            elif which == "output":
                print_output(event.output)
                offset = event.output.offset + len(event.output.data)
            else:
                last = event.job
    except grpc.RpcError as error:
        # Before "submitted" we do not know whether the job was stored: give it an idempotency_key to retry safely.
        if job_id is None or error.code() != grpc.StatusCode.UNAVAILABLE:
            raise
    if last is None or last.state not in FINAL_STATES:
        last = watch(stub, job_id, offset)
    print(f"job {job_id} {types.JobState.Name(last.state)}", file=sys.stderr)
    return exit_status(last)


def cmd_submit_many(stub, args):
    # One key per job, the same on every retry of this call: a call whose answer was lost is sent again safely.
    call_key = str(uuid.uuid4())
    labels = dict(pair.split("=", 1) for pair in args.label)
    specs = [types.JobSpec(command=args.command, labels=labels, idempotency_key=f"{call_key}:{i}") for i in range(args.count)]
    request = jobs.SubmitJobsRequest(specs=specs, ids_only=True)
    for attempt in range(3):
        try:
            answer = stub.SubmitJobs(request, timeout=CALL_TIMEOUT_S)
            break
        except grpc.RpcError as error:
            if attempt == 2 or error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise
            time.sleep(0.5 * 2**attempt)
    for job_id in answer.ids:
        print(job_id)
    return 0


def cmd_list(stub, args):
    states = [types.JobState.Value(f"JOB_STATE_{s.strip().upper()}") for s in args.state.split(",")] if args.state else []
    shown, token = 0, ""
    while shown < args.limit:
        page = stub.ListJobs(
            jobs.ListJobsRequest(states=states, page_size=min(args.page_size, args.limit - shown), page_token=token),
            timeout=CALL_TIMEOUT_S,
        )
        for job in page.jobs[: args.limit - shown]:
            print(f"{job.id} {types.JobState.Name(job.state)[len('JOB_STATE_'):]} {job.spec.command}")
            shown += 1
        # A page may be short (the master keeps answers within 4 MiB): only an empty token ends the list.
        token = page.next_page_token
        if not token:
            break
    return 0


def cmd_watch(stub, args):
    last = watch(stub, args.id)
    print(f"job {args.id} {types.JobState.Name(last.state)}", file=sys.stderr)
    return exit_status(last)


def cmd_cancel(stub, args):
    job = stub.CancelJob(jobs.CancelJobRequest(id=args.id), timeout=CALL_TIMEOUT_S)
    print(types.JobState.Name(job.state)[len("JOB_STATE_"):])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", default=os.environ.get("DIST_EXEC_MASTER", "localhost:50051"))
    parser.add_argument("--connect-timeout", type=float, default=10.0, help="seconds")
    parser.add_argument("--token-file", default="", help="file holding the token (mode 0600)")
    commands = parser.add_subparsers(dest="command_name", required=True)
    run = commands.add_parser("run", help="run a command and stream its output")
    run.add_argument("command")
    run.add_argument("--timeout-ms", type=int, default=0)
    many = commands.add_parser("submit-many", help="submit COUNT jobs in one call; prints their ids")
    many.add_argument("command")
    many.add_argument("--count", type=int, default=10)
    many.add_argument("--label", action="append", default=[], help="k=v")
    listing = commands.add_parser("list", help="jobs, newest first, over as many pages as it takes")
    listing.add_argument("--state", default="")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--page-size", type=int, default=50)
    watching = commands.add_parser("watch", help="print a job's output until it ends")
    watching.add_argument("id")
    cancel = commands.add_parser("cancel", help="cancel a pending or running job")
    cancel.add_argument("id")
    args = parser.parse_args()

    stub = connect(args.master, args.connect_timeout, read_token(args.token_file))
    handler = {"run": cmd_run, "submit-many": cmd_submit_many, "list": cmd_list, "watch": cmd_watch, "cancel": cmd_cancel}
    try:
        return handler[args.command_name](stub, args)
    except grpc.RpcError as error:
        print(describe_error(error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
