"""IBM Quantum's job statuses and errors, normalised for qnb (no SDK import until needed).

Cloud jobs report status strings; local testing mode reports qiskit's ``JobStatus`` enum.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import JobStatus

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
