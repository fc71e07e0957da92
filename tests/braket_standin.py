"""A stand-in for Amazon Braket and S3, which tests cannot reach, behind botocore's ``Stubber``.

``make_client(service, settings)`` (what a profile's ``client_factory`` names) returns a real
boto3 client, built from a real ``boto3.session.Session`` (so credentials come from boto3's
own chain, and a call without them raises botocore's ``NoCredentialsError``), with a
``Stubber`` activated on it. Only the network is replaced: botocore validates every request
against the service model (a wrong parameter raises ``ParamValidationError``), the Stubber
validates every answer against the model's output shape, and errors come back as botocore
raises them, as the modelled ``ClientError`` subclasses (``client.exceptions.
ThrottlingException``...) with AWS's code, message and HTTP status.

Unlike a plain ``Stubber``, whose answers a test queues in order, this one answers each call
from the service's state, kept in files under ``$QNB_BRAKET_STANDIN_DIR`` (default
``$QNB_HOME/braket-standin``) so that tasks outlive a runner restart, as at Braket:

- ``CreateQuantumTask``: the ``action`` must parse as a ``braket.ir.openqasm.Program``, the
  device must be known and ONLINE, its gates must be among the device's supported
  operations, the bucket must be one of ``buckets``; the program runs at once on Braket's
  local state-vector simulator, and its ``GateModelTaskResult`` is kept until the task is
  COMPLETED, when it appears in "S3" under ``<prefix>/<task id>/results.json``;
- ``GetQuantumTask``: CREATED, QUEUED (``queueInfo`` with a position that falls as the task
  waits), RUNNING, then COMPLETED or FAILED (``failureReason``); CANCELLING then CANCELLED
  after ``CancelQuantumTask``; an unknown ARN is ``ResourceNotFoundException``;
- ``GetDevice``: the device's capabilities as Braket's device schemas write them;
- S3 ``GetObject``: the kept results (``NoSuchKey`` otherwise).

``scenario.json`` there is read on every call, so a test changes the service's behaviour
while the runner follows jobs: ``queue_seconds``, ``run_seconds``, ``queue_position``,
``fail`` (a failure reason for new tasks), ``errors`` (``{operation: [[code, message,
count], ...]}``: the next ``count`` calls of the operation get that AWS error; ``-1`` for
ever), ``buckets``, ``devices``. ``calls()`` lists the calls answered, with their
parameters.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from standin_state import StandinState

STATE_ENV = "QNB_BRAKET_STANDIN_DIR"
ACCOUNT = "123456789012"
SV1 = "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
FORTE = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
GARNET = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"
BUCKET = "amazon-braket-qnb-tests"
#: a paid QPU profile on the stand-in, with a published price (the budget tests use it)
FORTE_PROFILE = f"""
[backends.forte]
provider = "braket"
device = "{FORTE}"
s3_bucket = "{BUCKET}"
client_factory = "braket_standin:make_client"
price = {{task = 0.3, shot = 0.08}}
describe_timeout = 60
"""
IONQ_GATES = ["x", "y", "z", "rx", "ry", "rz", "h", "cnot", "s", "si", "t", "ti", "v", "vi",
              "xx", "yy", "zz", "swap"]
SIMULATOR_GATES = ["ccnot", "cnot", "cphaseshift", "cphaseshift00", "cphaseshift01",
                   "cphaseshift10", "cswap", "cy", "cz", "ecr", "h", "i", "iswap", "phaseshift",
                   "pswap", "rx", "ry", "rz", "s", "si", "swap", "t", "ti", "unitary", "v",
                   "vi", "x", "xx", "xy", "y", "yy", "z", "zz"]
DEVICES: dict[str, dict[str, Any]] = {
    SV1: {"name": "SV1", "provider": "Amazon Braket", "type": "SIMULATOR", "status": "ONLINE",
          "qubits": 34, "gates": SIMULATOR_GATES, "native": None,
          "cost": {"price": 0.075, "unit": "minute"}, "queue": "0"},
    FORTE: {"name": "Forte 1", "provider": "IonQ", "type": "QPU", "status": "ONLINE",
            "qubits": 36, "gates": IONQ_GATES, "native": ["gpi", "gpi2", "ms"], "cost": None,
            "queue": "12"},
    GARNET: {"name": "Garnet", "provider": "IQM", "type": "QPU", "status": "OFFLINE",
             "qubits": 20, "gates": ["cz", "prx"], "native": ["cz", "prx"], "cost": None,
             "queue": "0"},
}
DEFAULTS: dict[str, Any] = {"queue_seconds": 1.0, "run_seconds": 0.3, "created_seconds": 0.1,
                            "queue_position": 5, "fail": None, "errors": {},
                            "buckets": [BUCKET]}
#: the HTTP status AWS answers each error code with
HTTP_STATUS = {"ThrottlingException": 429, "ValidationException": 400,
               "AccessDeniedException": 403, "ResourceNotFoundException": 404,
               "ServiceQuotaExceededException": 402, "InternalServiceException": 500,
               "ConflictException": 409, "DeviceOfflineException": 424,
               "DeviceRetiredException": 410, "NoSuchKey": 404}
_state = StandinState(STATE_ENV, "braket-standin", ("tasks", "s3"), DEFAULTS)
_lock = _state.lock


# -- the service's state ------------------------------------------------------------------
def state_dir() -> Path:
    return _state.folder()


def scenario() -> dict[str, Any]:
    return _state.scenario()


def reset(**changes: Any) -> None:
    """Back to the defaults (with ``changes``)."""
    _state.reset(**changes)


def set_scenario(**changes: Any) -> None:
    """Change how the service behaves from now on (kept with earlier changes)."""
    _state.change(**changes)


def fail_next(operation: str, code: str, message: str, count: int = 1) -> None:
    """The next ``count`` calls of ``operation`` (``-1``: every call) get that AWS error."""
    errors = dict(scenario()["errors"])
    errors.setdefault(operation, []).append([code, message, count])
    set_scenario(errors=errors)


def calls() -> list[dict[str, Any]]:
    """Every call answered or refused: ``{"op", "params", "error"}``, oldest first."""
    return [json.loads(line) for line in _state.logged()]


def tasks() -> dict[str, dict[str, Any]]:
    """The service's task records by task ARN."""
    out = {}
    for path in (state_dir() / "tasks").glob("*.json"):
        record = json.loads(path.read_text())
        out[record["arn"]] = record
    return out


def _record(op: str, params: dict[str, Any], error: str | None = None) -> None:
    _state.log(json.dumps({"op": op, "params": params, "error": error}, default=str))


_atomic_write = StandinState.write


def _take_error(op: str) -> tuple[str, str] | None:
    """The AWS error the scenario has for this call, using one of its ``count``."""
    with _lock:
        try:
            data = json.loads((state_dir() / "scenario.json").read_text())
        except (OSError, ValueError):
            return None
        queue = (data.get("errors") or {}).get(op) or []
        if not queue:
            return None
        code, message, count = queue[0]
        if count > 0:
            count -= 1
            queue = ([[code, message, count]] if count else []) + queue[1:]
            data["errors"][op] = queue
            _atomic_write(state_dir() / "scenario.json", json.dumps(data))
        return code, message


class ServiceError(Exception):
    """An AWS error the stand-in answers with (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


# -- the clients ----------------------------------------------------------------------------
def make_client(service: str, settings: dict[str, Any]) -> Any:
    """What ``client_factory`` calls: a boto3 client for ``service`` whose calls the
    stand-in answers."""
    import boto3
    from botocore.stub import Stubber

    class LiveStubber(Stubber):
        """A Stubber that answers each call from the stand-in's state, validated by the
        Stubber against the service model, instead of from a queue a test filled."""

        def __init__(self, client: Any, session: Any) -> None:
            super().__init__(client)
            self._session = session
            self._turn = threading.Lock()

        def _assert_expected_params(self, model: Any, params: Any, context: Any,
                                    **kwargs: Any) -> None:
            context["standin_params"] = dict(params)  # the call's parameters, as given

        def _get_response_handler(self, model: Any, params: Any, context: Any,
                                  **kwargs: Any) -> Any:
            from botocore.exceptions import NoCredentialsError

            if self._session.get_credentials() is None:  # where botocore would sign
                raise NoCredentialsError()
            api_params = context.get("standin_params", {})
            method = self.client.meta.method_to_api_mapping
            name = next(k for k, v in method.items() if v == model.name)
            try:
                answer: Any = _answer(service, model.name, api_params)
                error = None
            except ServiceError as exc:
                answer, error = exc, exc.code
            _record(model.name, _loggable(api_params), error)
            with self._turn:  # calls come from several runner threads at once
                if isinstance(answer, ServiceError):
                    self.add_client_error(name, answer.code, answer.message,
                                          http_status_code=HTTP_STATUS.get(answer.code, 400))
                else:
                    self.add_response(name, answer)
                return super()._get_response_handler(model, params, context, **kwargs)

    region = settings.get("region") or "us-east-1"
    session = boto3.session.Session(profile_name=settings.get("aws_profile"),
                                    region_name=region)
    client = session.client(service, region_name=region)
    stubber = LiveStubber(client, session)
    stubber.activate()
    client.standin_stubber = stubber  # kept alive with the client
    return client


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "Body"}


def _answer(service: str, op: str, params: dict[str, Any]) -> dict[str, Any]:
    taken = _take_error(op)
    if taken:
        raise ServiceError(*taken)
    if service == "s3":
        if op != "GetObject":
            raise ServiceError("NotImplemented", f"the stand-in does not answer {op}")
        return _get_object(params)
    handler = {"CreateQuantumTask": _create, "GetQuantumTask": _get_task,
               "CancelQuantumTask": _cancel, "GetDevice": _get_device}.get(op)
    if handler is None:
        raise ServiceError("ValidationException", f"the stand-in does not answer {op}")
    return handler(params)


# -- devices ------------------------------------------------------------------------------
def _devices() -> dict[str, dict[str, Any]]:
    return {**DEVICES, **(scenario().get("devices") or {})}


def capabilities(arn: str) -> str:
    """The device's capabilities document, as Braket's device schemas write it."""
    from braket.device_schema.ionq import IonqDeviceCapabilities
    from braket.device_schema.iqm import IqmDeviceCapabilities
    from braket.device_schema.simulators import GateModelSimulatorDeviceCapabilities

    dev = _devices()[arn]
    service = {
        "braketSchemaHeader": {"name": "braket.device_schema.device_service_properties",
                               "version": "1"},
        "executionWindows": [{"executionDay": "Everyday", "windowStartHour": "00:00",
                              "windowEndHour": "23:59"}],
        "shotsRange": [1, 100000], "deviceCost": dev["cost"]}
    action = {"braket.ir.openqasm.program": {
        "actionType": "braket.ir.openqasm.program", "version": ["1"],
        "supportedOperations": dev["gates"],
        "supportedResultTypes": [{"name": "Sample", "observables": ["x", "y", "z", "h", "i"],
                                  "minShots": 1, "maxShots": 100000}]}}
    if dev["type"] == "SIMULATOR":
        return GateModelSimulatorDeviceCapabilities.parse_obj({
            "service": service, "action": action, "deviceParameters": {},
            "paradigm": {"braketSchemaHeader": {
                "name": "braket.device_schema.simulators.gate_model_simulator_paradigm_properties",
                "version": "1"}, "qubitCount": dev["qubits"]}}).json()
    paradigm = {"braketSchemaHeader": {
        "name": "braket.device_schema.gate_model_qpu_paradigm_properties", "version": "1"},
        "qubitCount": dev["qubits"], "nativeGateSet": dev["native"],
        "connectivity": {"fullyConnected": True, "connectivityGraph": {}}}
    cls = IonqDeviceCapabilities if "ionq" in arn else IqmDeviceCapabilities
    return cls.parse_obj({"service": service, "action": action, "paradigm": paradigm,
                          "deviceParameters": {}}).json()


def _get_device(params: dict[str, Any]) -> dict[str, Any]:
    arn = params["deviceArn"]
    dev = _devices().get(arn)
    if dev is None:
        raise ServiceError("ResourceNotFoundException", f"Braket device {arn} not found")
    return {"deviceArn": arn, "deviceName": dev["name"], "providerName": dev["provider"],
            "deviceType": dev["type"], "deviceStatus": dev["status"],
            "deviceCapabilities": capabilities(arn),
            "deviceQueueInfo": [{"queue": "QUANTUM_TASKS_QUEUE", "queueSize": dev["queue"],
                                 "queuePriority": "Normal"}]}


# -- tasks --------------------------------------------------------------------------------
_GATE = re.compile(r"^\s*([a-z]\w*)\s*(\(|\s)")
_NOT_GATES = {"bit", "qubit", "measure", "barrier", "include", "gate", "input", "output"}


def _create(params: dict[str, Any]) -> dict[str, Any]:
    from braket.ir.openqasm import Program
    from pydantic.v1 import ValidationError

    arn = params["deviceArn"]
    dev = _devices().get(arn)
    if dev is None:
        raise ServiceError("ValidationException", f"Device {arn} does not exist")
    if dev["status"] == "OFFLINE":
        raise ServiceError("DeviceOfflineException", f"Device {arn} is offline")
    if params["outputS3Bucket"] not in scenario()["buckets"]:
        raise ServiceError("ValidationException", f"Caller doesn't have access to "
                           f"{params['outputS3Bucket']} or it doesn't exist.")
    try:
        program = Program.parse_raw(params["action"])
    except ValidationError as exc:
        raise ServiceError("ValidationException", f"Invalid action: {exc}") from None
    used = {m.group(1) for line in program.source.splitlines()
            if (m := _GATE.match(line)) and m.group(1) not in _NOT_GATES}
    unsupported = sorted(used - set(dev["gates"]))
    if unsupported:
        raise ServiceError("ValidationException", f"Operations {unsupported} are not supported "
                           f"by {dev['name']}")
    task_id = str(uuid.uuid4())
    region = arn.split(":")[3] or "us-east-1"
    task_arn = f"arn:aws:braket:{region}:{ACCOUNT}:quantum-task/{task_id}"
    sc = scenario()
    result = None if sc["fail"] else _simulate(program, int(params["shots"]), task_arn, arn)
    record = {"arn": task_arn, "id": task_id, "device": arn, "shots": int(params["shots"]),
              "bucket": params["outputS3Bucket"], "prefix": params["outputS3KeyPrefix"],
              "source": program.source, "created": time.time(),
              "created_seconds": float(sc["created_seconds"]),
              "queue_seconds": float(sc["queue_seconds"]),
              "run_seconds": float(sc["run_seconds"]), "queue_position": int(sc["queue_position"]),
              "fail": sc["fail"], "cancelled": None, "result": result,
              "client_token": params["clientToken"]}
    _atomic_write(state_dir() / "tasks" / f"{task_id}.json", json.dumps(record))
    return {"quantumTaskArn": task_arn}


_simulating = threading.Lock()


def _simulate(program: Any, shots: int, task_arn: str, device: str) -> str:
    """The program run on Braket's local simulator: its ``GateModelTaskResult`` JSON, as the
    service writes it to ``results.json``."""
    from braket.default_simulator import StateVectorSimulator
    from braket.task_result import GateModelTaskResult, SimulatorMetadata

    with _simulating:
        started = time.perf_counter()
        result = StateVectorSimulator().run(program, shots=shots)
        took_ms = max(1, round(1000 * (time.perf_counter() - started)))
    result.taskMetadata.id = task_arn
    result.taskMetadata.deviceId = device
    if ":device/quantum-simulator/" in device:  # managed simulators say how long they ran
        result.additionalMetadata.simulatorMetadata = SimulatorMetadata(executionDuration=took_ms)
    return GateModelTaskResult.parse_raw(result.json()).json()  # bits as the service writes


def _load(arn: str) -> dict[str, Any]:
    task_id = arn.rsplit("/", 1)[-1]
    path = state_dir() / "tasks" / f"{task_id}.json"
    if not re.fullmatch(r"[\w-]+", task_id) or not path.exists():
        raise ServiceError("ResourceNotFoundException", f"Quantum task {arn} not found")
    return json.loads(path.read_text())


def _status(rec: dict[str, Any]) -> str:
    now = time.time()
    if rec["cancelled"] is not None:
        return "CANCELLING" if now < rec["cancelled"] + 0.5 else "CANCELLED"
    queued = rec["created"] + rec["created_seconds"]
    start = queued + rec["queue_seconds"]
    if now < queued:
        return "CREATED"
    if now < start:
        return "QUEUED"
    if now < start + rec["run_seconds"]:
        return "RUNNING"
    return "FAILED" if rec["fail"] else "COMPLETED"


def _output_dir(rec: dict[str, Any]) -> str:
    return f"{rec['prefix']}/{rec['id']}"


def _get_task(params: dict[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime

    rec = _load(params["quantumTaskArn"])
    status = _status(rec)
    out: dict[str, Any] = {
        "quantumTaskArn": rec["arn"], "status": status, "deviceArn": rec["device"],
        "deviceParameters": "{}", "shots": rec["shots"], "outputS3Bucket": rec["bucket"],
        "outputS3Directory": _output_dir(rec),
        "createdAt": datetime.fromtimestamp(rec["created"], UTC)}
    if status == "QUEUED" and "QueueInfo" in (params.get("additionalAttributeNames") or []):
        waited = time.time() - rec["created"] - rec["created_seconds"]
        left = 1 - waited / rec["queue_seconds"] if rec["queue_seconds"] else 0
        out["queueInfo"] = {"queue": "QUANTUM_TASKS_QUEUE", "queuePriority": "Normal",
                            "position": str(max(1, math.ceil(rec["queue_position"] * left)))}
    if status == "FAILED":
        out["failureReason"] = rec["fail"]
    if status in ("COMPLETED", "FAILED", "CANCELLED"):
        ended = rec["created"] + rec["created_seconds"] + rec["queue_seconds"] + rec[
            "run_seconds"]
        out["endedAt"] = datetime.fromtimestamp(rec["cancelled"] or ended, UTC)
    if status == "COMPLETED":
        out["numSuccessfulShots"] = rec["shots"]
        key = f"{_output_dir(rec)}/results.json"
        path = state_dir() / "s3" / rec["bucket"] / key
        if not path.exists():
            _atomic_write(path, rec["result"])
    return out


def _cancel(params: dict[str, Any]) -> dict[str, Any]:
    arn = params["quantumTaskArn"]
    rec = _load(arn)
    status = _status(rec)
    if status in ("COMPLETED", "FAILED"):
        raise ServiceError("ConflictException", f"Quantum task {arn} is already {status}")
    if rec["cancelled"] is None:
        rec["cancelled"] = time.time()
        _atomic_write(state_dir() / "tasks" / f"{rec['id']}.json", json.dumps(rec))
    return {"quantumTaskArn": arn, "cancellationStatus": "CANCELLING"}


def _get_object(params: dict[str, Any]) -> dict[str, Any]:
    import io

    from botocore.response import StreamingBody

    bucket, key = params["Bucket"], params["Key"]
    path = state_dir() / "s3" / bucket / key
    if ".." in Path(key).parts or not path.is_file():
        raise ServiceError("NoSuchKey", "The specified key does not exist.")
    data = path.read_bytes()
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data),
            "ContentType": "application/json"}
