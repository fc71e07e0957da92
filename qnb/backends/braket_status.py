"""Amazon Braket's task statuses, errors, device ARNs, queue sizes, prices and billed time,
normalised for qnb (no SDK import until an exception has to be classified)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..ledger import PRICE_UNITS
from ..models import JobStatus

OPENQASM = "braket.ir.openqasm.program"  # the action a gate-model device runs

#: Braket bills a managed simulator's task for at least this long (braket.tracking's rule)
MIN_SIMULATOR_SECONDS = 3.0

#: Braket's quantum-task statuses (``GetQuantumTask``'s ``status``) mapped onto qnb's.
STATUS_MAP: dict[str, JobStatus] = {
    "CREATED": JobStatus.QUEUED,
    "QUEUED": JobStatus.QUEUED,
    "RUNNING": JobStatus.RUNNING,
    "COMPLETED": JobStatus.DONE,
    "FAILED": JobStatus.ERROR,
    "CANCELLING": JobStatus.CANCELLED,
    "CANCELLED": JobStatus.CANCELLED,
}

#: AWS error codes worth retrying: throttling and the service's own trouble.
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "SlowDown", "InternalServiceException", "InternalServerException",
    "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException",
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
})

_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:braket:(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:"
    r"device/(?P<kind>qpu|quantum-simulator)/(?P<vendor>[A-Za-z0-9_.-]+)/"
    r"(?P<device>[A-Za-z0-9_.-]+)$")
_TASK_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:braket:[a-z0-9-]+:\d{12}:quantum-task/[\w-]+$")


@dataclass(frozen=True)
class DeviceArn:
    """A Braket device ARN: ``arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1``, or a
    managed simulator's, which names no region (``arn:aws:braket:::device/quantum-simulator/
    amazon/sv1``)."""

    arn: str
    region: str | None
    simulator: bool
    vendor: str
    device: str


def parse_device_arn(text: str) -> DeviceArn:
    """The parts of a device ARN; ``ValueError`` saying what one looks like."""
    m = _ARN.match(text.strip())
    if not m:
        raise ValueError(
            f"{text!r} is not a Braket device ARN (like 'arn:aws:braket:us-east-1::device/qpu/"
            "ionq/Forte-1' or 'arn:aws:braket:::device/quantum-simulator/amazon/sv1')")
    return DeviceArn(text.strip(), m.group("region") or None,
                     m.group("kind") == "quantum-simulator", m.group("vendor"), m.group("device"))


def is_task_arn(text: str) -> bool:
    return bool(_TASK_ARN.match(text))


def normalize_status(raw: Any) -> tuple[JobStatus, str]:
    """``(qnb status, Braket's status)``; an unknown value keeps the job waiting (QUEUED)."""
    name = str(raw or "").strip().upper()
    return STATUS_MAP.get(name, JobStatus.QUEUED), name


def queue_position(info: dict[str, Any] | None) -> tuple[int | None, str | None]:
    """The position from ``GetQuantumTask``'s ``queueInfo`` (a string: ``"5"``, or
    ``">2000"`` past what Braket counts): an int when exact, and the text either way."""
    text = str((info or {}).get("position") or "").strip()
    if not text:
        return None, None
    return (int(text) if text.isdigit() else None), text


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``ThrottlingException``...)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return (response.get("Error") or {}).get("Code") or None
    return None


def is_transient(exc: BaseException) -> bool:
    """True for throttling, the service's internal errors and network trouble; False for
    AWS's refusals (validation, access, unknown resources, quotas) and missing credentials."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__ or ""
    if not (module.startswith("botocore") or module.startswith("urllib3")):
        return False
    code = error_code(exc)
    if code is not None:
        status = ((getattr(exc, "response", {}) or {}).get("ResponseMetadata") or {}).get(
            "HTTPStatusCode")
        return code in TRANSIENT_CODES or (isinstance(status, int) and
                                            (status >= 500 or status == 429))
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    return isinstance(exc, (BotoConnectionError, HTTPClientError)) or module.startswith("urllib3")


def explain(exc: BaseException) -> str:
    """One line on why the service could not be asked."""
    text = (str(exc).strip() or repr(exc)).splitlines()[0][:200]
    line = f"{type(exc).__name__}: {text}"
    return f"cannot reach the service ({line})" if is_transient(exc) else line


def billed_seconds(result: Any) -> float | None:
    """The billed duration of a managed simulator's task (its run time from the result's
    ``simulatorMetadata``, at least ``MIN_SIMULATOR_SECONDS``); None for a QPU task,
    which Braket bills per task and shot instead."""
    extra = getattr(result, "additionalMetadata", None)
    simulator = getattr(extra, "simulatorMetadata", None)
    ms = getattr(simulator, "executionDuration", None)
    if ms is None:
        return None
    return max(float(ms) / 1000, MIN_SIMULATOR_SECONDS)


def supported_actions(caps: dict[str, Any]) -> list[str]:
    action = (caps.get("action") or {}).get(OPENQASM) or {}
    return [str(g) for g in action.get("supportedOperations") or []]


def queue_size_text(info: Any) -> str | None:
    for queue in info or []:
        if queue.get("queue") == "QUANTUM_TASKS_QUEUE" and queue.get(
                "queuePriority", "Normal") == "Normal":
            return str(queue.get("queueSize"))
    return None


def price_text(price: dict[str, Any] | None, device_cost: dict[str, Any] | None) -> str | None:
    """The profile's prices (``$0.30/task + $0.08/shot``), else the device's list price."""
    if price:
        return " + ".join(f"${float(price[u]):g}/{u}" for u in PRICE_UNITS if u in price)
    if device_cost and device_cost.get("price") is not None:
        return f"${float(device_cost['price']):g}/{device_cost.get('unit', '?')} (list price)"
    return None
