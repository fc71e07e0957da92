"""``provider = "braket"``: Amazon Braket's devices (QPUs and managed simulators) by ARN,
through boto3's ``braket`` and ``s3`` clients.

The runner transpiles each circuit of a job into the Qiskit gates whose Braket twins the
device supports (``GetDevice``'s capabilities), exports them as OpenQASM 3
(``braket_program``) and creates one quantum task per circuit (``CreateQuantumTask``, its
``action`` a ``braket.ir.openqasm.Program``), all writing to the profile's S3 location. The
job's remote id is its task ARNs, space-separated, so a new runner re-attaches by them. It
polls ``GetQuantumTask`` (with ``QueueInfo``), reads each task's ``results.json`` from S3
once all are COMPLETED and turns the ``GateModelTaskResult`` into counts; a FAILED task ends
the job in ERROR with Braket's ``failureReason``. ``CancelQuantumTask`` cancels.

Credentials come only from boto3's own chain (environment, shared files and profiles, SSO,
instance roles; ``aws_profile = "NAME"`` picks a named profile): a profile never holds a
key, and qnb writes none anywhere. The retry policy is the runner's one (``remote``):
``is_transient`` calls throttling, Braket's internal errors and network trouble worth
retrying; validation, access, unknown-resource and quota errors end the job with AWS's
message.

``client_factory = "module:function"`` builds the clients instead of boto3 (called with the
service name and the profile's settings); the tests put a botocore ``Stubber`` behind it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from typing import Any, ClassVar

from ..ledger import check_price, estimated_cost
from ..models import JobStatus
from ..threads import TimedCalls
from . import braket_program
from .base import (
    BackendInfo,
    Field,
    ProfileError,
    Provider,
    RemoteState,
    Submitted,
    check_remote_options,
    import_factory,
)
from .braket_status import (
    billed_seconds,
    error_code,
    explain,
    is_task_arn,
    normalize_status,
    parse_device_arn,
    price_text,
    queue_position,
    queue_size_text,
    supported_actions,
)
from .braket_status import (
    is_transient as _is_transient,
)
from .simulator import DEFAULT_OPTIMIZATION_LEVEL

log = logging.getLogger("qnb.backends.braket")

DEFAULT_DESCRIBE_TIMEOUT = 5.0
DEFAULT_PREFIX = "qnb"
DEVICE_TTL = 600.0  # seconds a device's capabilities are reused for submissions
CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                   "access_key", "secret_key", "secret_access_key", "session_token",
                   "credentials", "token")
CREDENTIALS_MESSAGE = (
    "qnb never keeps AWS credentials in its configuration; remove it and let boto3 find them "
    "(environment variables, ~/.aws/credentials, SSO, an instance role); use "
    "'aws_profile = NAME' to pick a named profile")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_FINAL = ("COMPLETED", "FAILED", "CANCELLED")


class BraketProvider(Provider):
    """``provider = "braket"``: a Braket device by ARN."""

    kind: ClassVar[str] = "remote"
    simulator: ClassVar[bool] = False
    fields: ClassVar[dict[str, Field]] = {
        "device": Field(str, required=True),  # the device ARN
        "region": Field(str),  # default: the ARN's, else boto3's configured region
        "s3_bucket": Field(str, required=True),  # where Braket writes task results
        "s3_prefix": Field(str),  # key prefix in the bucket (default "qnb")
        "aws_profile": Field(str),  # a named profile of ~/.aws/config
        "optimization_level": Field(int),
        "max_qubits": Field(int),  # refuse wider circuits before they are queued
        "price": Field(dict),  # {task = USD, shot = USD, minute = USD}, as far as known
        "retry_timeout": Field((int, float)),  # seconds of errors before giving up on a job
        "describe_timeout": Field((int, float)),  # seconds %qbackend waits for the service
        "client_factory": Field(str),  # "module:function" building the boto3 clients
        "description": Field(str),
    }

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.arn = parse_device_arn(self.options["device"])
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._device_cache: tuple[float, dict[str, Any]] | None = None
        self._finished: dict[str, dict[str, Any]] = {}  # task ARN -> its final GetQuantumTask

    # -- profile checking -----------------------------------------------------------------
    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        for key in CREDENTIAL_KEYS:
            if key in options:
                raise ProfileError(CREDENTIALS_MESSAGE, key)
        if "s3_bucket" not in options:
            raise ProfileError(
                "missing field 's3_bucket': Braket writes every task's results to S3 (give a "
                "bucket the credentials may write, such as amazon-braket-<region>-<account>)",
                "s3_bucket")
        super().validate_options(options)
        try:
            arn = parse_device_arn(options["device"])
        except ValueError as exc:
            raise ProfileError(str(exc), "device") from None
        region = options.get("region")
        if region is not None and not re.match(r"^[a-z]{2}(-[a-z]+)+-\d+$", region):
            raise ProfileError(f"{region!r} is not an AWS region (like 'us-east-1')", "region")
        if region and arn.region and region != arn.region:
            raise ProfileError(f"the device is in {arn.region}, not {region}", "region")
        if not _BUCKET.match(options["s3_bucket"]):
            raise ProfileError(f"{options['s3_bucket']!r} is not an S3 bucket name (3-63 "
                               "lowercase letters, digits, '.', '-')", "s3_bucket")
        prefix = options.get("s3_prefix")
        if prefix is not None and (not prefix.strip("/") or prefix.startswith("/")
                                   or len(prefix) > 900):
            raise ProfileError("must be a key prefix such as 'qnb/results' (no leading '/')",
                               "s3_prefix")
        check_price(options.get("price"))
        check_remote_options(options, "client_factory")

    def max_qubits(self) -> int | None:
        return int(self.options["max_qubits"]) if "max_qubits" in self.options else None

    @property
    def region(self) -> str | None:
        return self.options.get("region") or self.arn.region

    @property
    def prefix(self) -> str:
        return str(self.options.get("s3_prefix", DEFAULT_PREFIX)).strip("/")

    # -- clients --------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._clients[service] = self._make_client(service)
            return client

    def _make_client(self, service: str) -> Any:
        settings = {k: v for k, v in self.options.items() if k != "client_factory"}
        settings["region"] = self.region
        factory = self.options.get("client_factory")
        if factory:
            return import_factory(factory)(service, settings)
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(profile_name=self.options.get("aws_profile"),
                                        region_name=self.region)
        if session.region_name is None:
            raise ValueError(f"no AWS region for {self.arn.arn}: set 'region' in the profile "
                             "(or AWS_DEFAULT_REGION)")
        # boto3's own retries (standard mode) resend a throttled CreateQuantumTask with the
        # same clientToken, which Braket de-duplicates; the runner retries everything else.
        return session.client(service, config=Config(retries={"mode": "standard"},
                                                     user_agent_extra="qnb"))

    def _device(self) -> dict[str, Any]:
        """``GetDevice``'s answer with ``capabilities`` (its JSON document) read, reused for
        ``DEVICE_TTL`` seconds."""
        with self._lock:
            cached = self._device_cache
        if cached is not None and time.monotonic() - cached[0] < DEVICE_TTL:
            return cached[1]
        answer = dict(self._client("braket").get_device(deviceArn=self.arn.arn))
        answer["capabilities"] = json.loads(answer.get("deviceCapabilities") or "{}")
        with self._lock:
            self._device_cache = (time.monotonic(), answer)
        return answer

    # -- listing --------------------------------------------------------------------------
    def describe(self) -> BackendInfo:
        """Ask Braket about the device, giving up after ``describe_timeout`` seconds."""
        timeout = float(self.options.get("describe_timeout", DEFAULT_DESCRIBE_TIMEOUT))
        try:
            _PROBES.call(_import_sdk, 120.0)  # imports take seconds but cannot hang
            device = _PROBES.call(self._device, timeout)
        except TimeoutError:
            return BackendInfo(self.name, self.provider_name(), self.max_qubits(),
                               self.arn.simulator, False,
                               f"no answer from Braket within {timeout:g} s")
        except Exception as exc:  # reported, never raised: the listing must go on
            return BackendInfo(self.name, self.provider_name(), self.max_qubits(),
                               self.arn.simulator, False, explain(exc))
        caps = device["capabilities"]
        paradigm = caps.get("paradigm") or {}
        status = str(device.get("deviceStatus", "UNKNOWN"))
        native = [str(g) for g in paradigm.get("nativeGateSet") or []]
        supported = supported_actions(caps)
        parts = [f"{device.get('providerName', self.arn.vendor)} "
                 f"{device.get('deviceName', self.arn.device)}: {status}"]
        queued = queue_size_text(device.get("deviceQueueInfo"))
        if queued is not None:
            parts.append(f"{queued} tasks queued")
        if native:
            parts.append("native gates: " + ", ".join(native))
        elif supported:
            parts.append(f"{len(supported)} gates")
        price = price_text(self.options.get("price"), (caps.get("service") or {}).get(
            "deviceCost"))
        if price:
            parts.append(price)
        info = BackendInfo(self.name, self.provider_name(),
                           paradigm.get("qubitCount") or self.max_qubits(),
                           device.get("deviceType") == "SIMULATOR", status == "ONLINE",
                           "; ".join(parts))
        info.native_gates = native or None
        info.price = price
        return info

    # -- the retry policy -----------------------------------------------------------------
    def is_transient(self, exc: BaseException) -> bool:
        return _is_transient(exc)

    # -- remote execution (runner I/O threads) --------------------------------------------
    def submit(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
               options: dict[str, Any]) -> Submitted:
        """Transpile for the device's gates and create one quantum task per circuit; if one
        is refused, cancel those already created and raise AWS's error."""
        _import_sdk()
        from braket.ir.openqasm import Program

        from ..circuits import decode

        device = self._device()
        caps = device["capabilities"]
        circuits = decode(payload)
        width = (caps.get("paradigm") or {}).get("qubitCount")
        for i, qc in enumerate(circuits):
            if width and qc.num_qubits > width:
                raise ValueError(f"circuit {i} has {qc.num_qubits} qubits; "
                                 f"{device.get('deviceName', self.arn.device)} has {width}")
        level = self.options.get("optimization_level", DEFAULT_OPTIMIZATION_LEVEL)
        compiled = braket_program.transpile(circuits, supported_actions(caps), seed, level)
        programs = [braket_program.to_program(qc) for qc in compiled]
        client = self._client("braket")
        arns: list[str] = []
        try:
            for program in programs:
                answer = client.create_quantum_task(
                    clientToken=str(uuid.uuid4()), deviceArn=self.arn.arn, shots=int(shots),
                    outputS3Bucket=self.options["s3_bucket"], outputS3KeyPrefix=self.prefix,
                    action=Program(source=program.source).json())
                arns.append(str(answer["quantumTaskArn"]))
        except BaseException:
            self._cancel_quietly(arns)
            raise
        state = {"shots": int(shots),
                 "readouts": [p.readout.to_json() for p in programs]}
        return Submitted(" ".join(arns), state)

    def _task(self, arn: str) -> dict[str, Any]:
        with self._lock:
            task = self._finished.get(arn)
        if task is not None:
            return task
        if not is_task_arn(arn):
            raise ValueError(f"{arn!r} is not a Braket quantum-task ARN")
        task = dict(self._client("braket").get_quantum_task(
            quantumTaskArn=arn, additionalAttributeNames=["QueueInfo"]))
        if task.get("status") in _FINAL:
            with self._lock:
                self._finished[arn] = task
        return task

    def poll(self, remote_id: str) -> RemoteState:
        arns = remote_id.split()
        tasks = [self._task(arn) for arn in arns]
        states = [normalize_status(t.get("status")) for t in tasks]
        failed = [(i, t) for i, (t, (s, _)) in enumerate(zip(tasks, states, strict=True))
                  if s is JobStatus.ERROR]
        if failed:
            self._cancel_quietly([t["quantumTaskArn"] for t, (s, _) in zip(tasks, states,
                                                                          strict=True)
                                  if not s.is_final])
            reasons = [str(t.get("failureReason") or "no reason given") for _, t in failed]
            error = reasons[0] if len(arns) == 1 else "; ".join(
                f"circuit {i}: {r}" for (i, _), r in zip(failed, reasons, strict=True))
            self._forget(arns)
            return RemoteState(JobStatus.ERROR, "FAILED", error=error)
        cancelled = [name for s, name in states if s is JobStatus.CANCELLED]
        if cancelled:
            self._cancel_quietly([t["quantumTaskArn"] for t, (s, _) in zip(tasks, states,
                                                                          strict=True)
                                  if not s.is_final])
            self._forget(arns)
            return RemoteState(JobStatus.CANCELLED, cancelled[0],
                               error="cancelled at Braket")
        if all(s is JobStatus.DONE for s, _ in states):
            return RemoteState(JobStatus.DONE, "COMPLETED")
        waiting = [(t, name) for t, (s, name) in zip(tasks, states, strict=True)
                   if s is not JobStatus.DONE]
        running = [name for _, name in waiting if name == "RUNNING"]
        status = JobStatus.RUNNING if running else JobStatus.QUEUED
        name = "RUNNING" if running else waiting[0][1]
        position, text = queue_position(waiting[0][0].get("queueInfo"))
        if len(arns) > 1:
            name += f" ({len(arns) - len(waiting)} of {len(arns)} tasks completed)"
        if text and position is None and status is JobStatus.QUEUED:
            name += f", queue position {text}"
        return RemoteState(status, name,
                           queue_position=position if status is JobStatus.QUEUED else None)

    def result(self, remote_id: str, state: dict[str, Any]) -> dict[str, Any]:
        arns = remote_id.split()
        shots = int(state.get("shots", 0))
        readouts = [braket_program.Readout.from_json(r) for r in state.get("readouts", [])]
        if len(readouts) != len(arns):
            raise ValueError(f"qnb kept {len(readouts)} readouts for {len(arns)} Braket tasks")
        s3 = self._client("s3")
        counts = []
        billed: list[float] = []
        for arn, readout in zip(arns, readouts, strict=True):
            task = self._task(arn)
            key = f"{str(task['outputS3Directory']).rstrip('/')}/results.json"
            body = s3.get_object(Bucket=task["outputS3Bucket"], Key=key)["Body"].read()
            parsed = braket_program.parse_result(body)
            counts.append(braket_program.counts(parsed, readout, shots))
            seconds = billed_seconds(parsed)
            if seconds is not None:
                billed.append(seconds)
        metadata: dict[str, Any] = {"remote_id": remote_id, "device": self.arn.arn,
                                    "task_arns": arns, "region": self.region}
        if billed:  # the ledger's service seconds: Braket's billed duration
            metadata["qpu_seconds"] = metadata["billed_seconds"] = sum(billed)
        cost = estimated_cost(self.options.get("price"), len(arns), shots)
        if cost is not None:
            metadata["estimated_cost_usd"] = cost
        self._forget(arns)
        return {"counts": counts, "metadata": metadata}

    def cancel(self, remote_id: str) -> None:
        client = self._client("braket")
        for arn in remote_id.split():
            try:
                client.cancel_quantum_task(quantumTaskArn=arn, clientToken=str(uuid.uuid4()))
            except Exception as exc:
                if error_code(exc) not in ("ConflictException", "ValidationException"):
                    raise  # a finished task cannot be cancelled: the others still are
        self._forget(remote_id.split())

    def _cancel_quietly(self, arns: list[str]) -> None:
        for arn in arns:
            try:
                self._client("braket").cancel_quantum_task(quantumTaskArn=arn,
                                                           clientToken=str(uuid.uuid4()))
            except Exception as exc:  # best effort: the job's own error is what matters
                log.warning("could not cancel Braket task %s: %s", arn, explain(exc))

    def _forget(self, arns: list[str]) -> None:
        with self._lock:
            for arn in arns:
                self._finished.pop(arn, None)


_PROBES = TimedCalls("qnb-braket-probe")
_imports = threading.Lock()


def _import_sdk() -> None:
    """Import Qiskit, boto3 and Braket's schemas one thread at a time (concurrent first
    imports of Qiskit fail; see ``delayed._import_qiskit``)."""
    with _imports:
        import boto3  # noqa: F401
        import braket.ir.openqasm
        import braket.task_result  # noqa: F401
        import qiskit  # noqa: F401


