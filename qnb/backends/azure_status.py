"""Azure Quantum's job statuses, errors and target availability, normalised for qnb (no SDK
import until an exception has to be classified).

Workspaces of the first generation report ``Waiting``, ``Executing``, ``Succeeded``,
``Failed`` and ``Cancelled``; those of the second add ``Queued``, ``Finishing``,
``Completed``, ``CancellationRequested`` and ``Cancelling``. Both map onto qnb's five; the
provider's own word is kept as the job's provider status.
"""

from __future__ import annotations

from typing import Any

from ..models import JobStatus

STATUS_MAP: dict[str, JobStatus] = {
    "Waiting": JobStatus.QUEUED,
    "Queued": JobStatus.QUEUED,
    "Executing": JobStatus.RUNNING,
    "Finishing": JobStatus.RUNNING,
    "Succeeded": JobStatus.DONE,
    "Completed": JobStatus.DONE,
    "Failed": JobStatus.ERROR,
    # the job is still at the service, but qnb's cancel is final: the job ends CANCELLED
    "CancellationRequested": JobStatus.CANCELLED,
    "Cancelling": JobStatus.CANCELLED,
    "Cancelled": JobStatus.CANCELLED,
}
_BY_LOWER = {k.lower(): v for k, v in STATUS_MAP.items()}

#: HTTP statuses azure-core's own retries give up on that are still worth retrying later
TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})


def normalize_status(raw: Any) -> tuple[JobStatus, str]:
    """``(qnb status, Azure's status)``; an unknown value keeps the job waiting (QUEUED)."""
    name = str(getattr(raw, "value", raw) or "").strip()
    return _BY_LOWER.get(name.lower(), JobStatus.QUEUED), name or "unknown"


def failure_text(error_data: Any, job_id: str) -> str:
    """A Failed job's reason from ``errorData`` (``code: message``); when Azure gave none,
    say so with the job id, never ``null: null``."""
    code = message = None
    if error_data is not None:
        get = error_data.get if isinstance(error_data, dict) else (
            lambda k, d=None: getattr(error_data, k, d))
        code, message = get("code"), get("message")
    code = str(code).strip() if code not in (None, "", "null") else None
    message = str(message).strip() if message not in (None, "", "null") else None
    if code and message:
        return f"{code}: {message}"
    if code or message:
        return str(code or message)
    return (f"Azure Quantum reports job {job_id} Failed and gives no reason (its errorData "
            "is empty); look the job up in the portal's job list")


class AzureServiceError(RuntimeError):
    """An Azure Quantum call refused, with Azure's error code and message, and whether the
    call is worth trying again later."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def is_transient(exc: BaseException) -> bool:
    """True for throttling (429), the service's own trouble (5xx, 408) and network trouble
    (azure-core's ``ServiceRequestError`` / ``ServiceResponseError``, which are not
    ``ConnectionError``s); False for refusals: unknown resources, authentication, quotas,
    bad requests."""
    if isinstance(exc, AzureServiceError):
        return exc.transient
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__ or ""
    if not module.startswith("azure"):
        return False
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, (ClientAuthenticationError, ResourceNotFoundError)):
        return False
    if isinstance(exc, HttpResponseError):
        return getattr(exc, "status_code", None) in TRANSIENT_HTTP
    return isinstance(exc, (ServiceRequestError, ServiceResponseError))


def describe(exc: BaseException) -> str:
    """One line: the azure-core error's class, HTTP status, Azure's code and message."""
    if isinstance(exc, AzureServiceError):
        return str(exc)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or getattr(exc, "error_code", None)  # storage's
    message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    message = (str(message).strip() or repr(exc)).splitlines()[0][:300]
    status = getattr(exc, "status_code", None)
    where = f"HTTP {status}" if status else ""
    if code:
        where = f"{where}, {code}" if where else str(code)
    return f"{type(exc).__name__} ({where}): {message}" if where else \
        f"{type(exc).__name__}: {message}"


def wrap(exc: BaseException) -> AzureServiceError:
    """An azure-core error as one line with its verdict (retry or not) kept."""
    return AzureServiceError(describe(exc), is_transient(exc))


def explain(exc: BaseException) -> str:
    line = describe(exc)
    return f"cannot reach Azure Quantum ({line})" if is_transient(exc) else line


def target_summary(target: Any) -> tuple[bool, str, float | None]:
    """``(available, text, average queue seconds)`` of a ``TargetStatus``
    (``providerStatus``'s entry for one target)."""
    availability = str(getattr(getattr(target, "current_availability", None), "value",
                               getattr(target, "current_availability", None)) or "Unknown")
    queue = getattr(target, "average_queue_time", None)
    parts = [availability]
    if isinstance(queue, (int, float)):
        parts.append(f"average queue {format_seconds(float(queue))}")
    return availability in ("Available", "Degraded"), ", ".join(parts), (
        float(queue) if isinstance(queue, (int, float)) else None)


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cost_of(details: Any) -> dict[str, Any] | None:
    """A finished job's ``costEstimate`` as plain JSON (currency, total, billed events)."""
    cost = getattr(details, "cost_estimate", None)
    if cost is None:
        return None
    events = []
    for event in getattr(cost, "events", None) or []:
        events.append({"dimension": getattr(event, "dimension_name", None),
                       "unit": getattr(event, "measure_unit", None),
                       "consumed": getattr(event, "amount_consumed", None),
                       "billed": getattr(event, "amount_billed", None),
                       "unit_price": getattr(event, "unit_price", None)})
    return {"currency": getattr(cost, "currency_code", None),
            "total": getattr(cost, "estimated_total", None), "events": events}
