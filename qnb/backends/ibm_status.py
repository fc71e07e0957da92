"""IBM Quantum's job statuses and errors, normalised for qnb (no SDK import until needed).

Cloud jobs report status strings; local testing mode reports qiskit's ``JobStatus`` enum.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

from ..models import JobStatus

log = logging.getLogger("qnb.backends.ibm")

#: qiskit-ibm-runtime's job statuses (cloud strings, and the names of qiskit's ``JobStatus``
#: enum that local testing mode returns) mapped onto qnb's.
STATUS_MAP: dict[str, JobStatus] = {
    "INITIALIZING": JobStatus.QUEUED,
    "VALIDATING": JobStatus.QUEUED,
    "QUEUED": JobStatus.QUEUED,
    "RUNNING": JobStatus.RUNNING,
    "DONE": JobStatus.DONE,
    "COMPLETED": JobStatus.DONE,
    "ERROR": JobStatus.ERROR,
    "FAILED": JobStatus.ERROR,
    "CANCELLED": JobStatus.CANCELLED,
}


def normalize_status(raw: Any) -> tuple[JobStatus, str]:
    """``(qnb status, provider's own status name)`` from a cloud string or a ``JobStatus`` enum.

    An unknown value keeps the job waiting (QUEUED) and shows the provider's word for it.
    """
    name = getattr(raw, "name", None) if not isinstance(raw, str) else None
    name = (name or str(raw)).strip().upper()
    return STATUS_MAP.get(name, JobStatus.QUEUED), name


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying (no connection, timeouts, HTTP 5xx/429), False for the
    service's own refusals (HTTP 4xx, authentication, a failed or unknown job)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        verdict = _classify(cur)
        if verdict is not None:
            return verdict
        cur = cur.__cause__ or cur.__context__
    return False


def _classify(exc: BaseException) -> bool | None:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__ or ""
    if module.startswith("requests") or module.startswith("urllib3"):
        import requests

        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return True
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status is not None:
            return _http_transient(status)
        return None
    if not module.startswith("qiskit"):
        return None
    from qiskit.providers.exceptions import JobError
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError
    from qiskit_ibm_runtime.exceptions import (
        IBMNotAuthorizedError,
        RuntimeInvalidStateError,
        RuntimeJobMaxTimeoutError,
        RuntimeJobNotFound,
    )

    if isinstance(exc, (IBMNotAuthorizedError, RuntimeInvalidStateError, RuntimeJobNotFound,
                        RuntimeJobMaxTimeoutError, JobError)):
        return False
    if isinstance(exc, RequestsApiError):
        return _http_transient(exc.status_code)
    return None


def _http_transient(code: int) -> bool:
    return code == -1 or code in (408, 425, 429) or code >= 500


def iso_to_epoch(value: Any) -> float | None:
    if not value:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def explain(exc: BaseException) -> str:
    """One line on why the service could not be asked; network trouble says so (offline, the
    SDK reports an invalid token whose cause is a connection error)."""
    def line(e: BaseException) -> str:
        return f"{type(e).__name__}: {(str(e).strip() or repr(e)).splitlines()[0][:160]}"

    if is_transient(exc):
        root = exc
        while (root.__cause__ or root.__context__) is not None:
            root = root.__cause__ or root.__context__
        return f"cannot reach the service ({line(root)})"
    return line(exc)


def pub_counts(pub: Any) -> dict[str, int]:
    """Counts of one Sampler PUB result, all classical registers joined (first one rightmost)."""
    return {str(k): int(v) for k, v in pub.join_data().get_counts().items()}


def plain_metadata(result: Any) -> None:
    """Turn the dataclasses the executor primitives put in result metadata (chunk timings,
    per-item metadata) into dicts, in place, so the result can be stored as JSON."""
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    for holder in (result, *result):
        metadata = holder.metadata
        for key in list(metadata):
            metadata[key] = plain(metadata[key])


def error_text(job: Any, name: str) -> str:
    text = ""
    try:
        text = (job.error_message() or "").strip()
    except Exception as exc:  # the message is a courtesy; the status is what counts
        log.info("could not read the error message of %s: %s", job.job_id(), exc)
    if not text and getattr(job, "_future", None) is not None:
        exc = job._future.exception()
        if exc is not None:
            text = f"{type(exc).__name__}: {exc}"
    return text or f"the service reports {name}"


def qpu_seconds(job: Any) -> float | None:
    """The QPU seconds IBM bills for a finished job (``RuntimeJobV2.usage``); None where
    there are none (local testing mode) or the service cannot say yet."""
    usage = getattr(job, "usage", None)
    if usage is None:
        return None
    try:
        seconds = usage()
    except Exception as exc:  # usage is a courtesy; the result is what counts
        log.info("no usage for %s: %s", job.job_id(), exc)
        return None
    return float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None


def queue_info(job: Any) -> tuple[int | None, float | None]:
    """Queue position and estimated start from the job's metrics, when the service has them."""
    try:
        metrics = job.metrics() or {}
    except Exception:
        return None, None
    position = metrics.get("position_in_queue")
    if position is None:
        position = metrics.get("position_in_provider")
    try:
        position = int(position) if position is not None else None
    except (TypeError, ValueError):
        position = None
    return position, iso_to_epoch(metrics.get("estimated_start_time"))


def import_sdk() -> None:
    """Import qiskit-ibm-runtime (seconds, the first time: done off the runner's loop)."""
    import qiskit_ibm_runtime  # noqa: F401
