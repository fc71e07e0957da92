"""What a process inside a JupyterHub asks with its own token (``JUPYTERHUB_API_TOKEN``):
the hub's REST API (``JUPYTERHUB_API_URL``) for the groups of its user and their members,
where the token's scopes allow reading them (``read:users:groups!user``, and
``read:groups`` for the members; nothing is cached for long: a group changed in the hub
shows within a minute); and, in hub mode, qnb's hub service (``QNB_HUB_SERVICE``), which
decides what its user may see and do with other users' jobs (``ask_service``, the one
request helper of the server extension and of kernels alike)."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..models import QnbError

CACHE_SECONDS = 60.0
TIMEOUT = 5.0
#: the URL of qnb's hub service for users' servers and kernels (hub mode when set)
SERVICE_ENV = "QNB_HUB_SERVICE"
SERVICE_TIMEOUT = 60.0

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict[str, tuple[str, ...]] | None]] = {}


def hub_get(path: str, *, url: str | None = None, token: str | None = None) -> Any:
    """``GET`` of the hub API (``path`` under ``/hub/api``) as JSON; None when the hub
    cannot be reached or refuses (a token without the scope)."""
    base = (url or os.environ.get("JUPYTERHUB_API_URL", "")).rstrip("/")
    token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not base or not token:
        return None
    request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def groups_with_members(names: list[str], *, url: str | None = None,
                        token: str | None = None,
                        fallback: str | None = None) -> dict[str, tuple[str, ...]]:
    """Each group of ``names`` with its members, as far as the token may read them (a group
    it cannot read counts ``fallback`` alone, when given)."""
    out = {}
    for name in names:
        info = hub_get(f"/groups/{urllib.parse.quote(name, safe='')}", url=url, token=token)
        members = info.get("users") if isinstance(info, dict) else None
        if isinstance(members, list):
            out[name] = tuple(str(m) for m in members)
        elif fallback is not None:
            out[name] = (fallback,)
    return out


def hub_groups() -> dict[str, tuple[str, ...]] | None:
    """The groups of this process's hub user, with their members; None when the hub does
    not say (no hub, or a token that may not read the user's groups)."""
    token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
    with _lock:
        found = _cache.get(token)
        if found is not None and time.monotonic() - found[0] < CACHE_SECONDS:
            return found[1]
    me = hub_get("/user")
    groups = None
    if isinstance(me, dict) and isinstance(me.get("groups"), list):
        groups = groups_with_members([str(g) for g in me["groups"]],
                                     fallback=str(me.get("name", "")))
    with _lock:
        _cache[token] = (time.monotonic(), groups)
    return groups


class HubServiceError(QnbError):
    """The qnb hub service could not be asked (``status`` 0: not reachable, or no token), or
    answered with an error this process has no better name for."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ServiceAnswer:
    """The service's answer as it came: HTTP status, body and content type."""

    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        """The body as JSON; None when it is not JSON (a proxy's or the hub's error page)."""
        if "json" not in self.content_type:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


def service_url() -> str | None:
    """The qnb hub service that users' servers and kernels ask about other users' jobs
    (``QNB_HUB_SERVICE``, e.g. ``http://127.0.0.1:8000/services/qnb/``); None: hub mode is
    off, and each process checks permissions itself."""
    url = os.environ.get(SERVICE_ENV, "").strip()
    return url.rstrip("/") + "/" if url else None


def ask_service(method: str, path: str, query: list[tuple[str, str]] | None = None, *,
                url: str | None = None, token: str | None = None,
                timeout: float = SERVICE_TIMEOUT) -> ServiceAnswer:
    """One request to the service's API (``path`` under ``{service}api/``) with this
    process's hub token (``Authorization: token ...``); every answer as it came, refusals
    too. ``HubServiceError`` when there is no service, no token, or no answer."""
    base = url or service_url()
    token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not base:
        raise HubServiceError(f"{SERVICE_ENV} is not set: there is no qnb hub service to ask")
    if not token:
        raise HubServiceError(f"{SERVICE_ENV} is set but this process has no "
                              "JUPYTERHUB_API_TOKEN to ask the qnb hub service with")
    target = base.rstrip("/") + "/api/" + path.lstrip("/")
    if query:
        target += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(
        target, method=method, data=b"" if method == "POST" else None,
        headers={"Authorization": f"token {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return ServiceAnswer(answer.status, answer.read(),
                                 answer.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:  # a refusal: relayed as it came
        return ServiceAnswer(exc.code, exc.read(), exc.headers.get("Content-Type", ""))
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HubServiceError(f"the qnb hub service at {base} ({SERVICE_ENV}) could not be "
                              f"reached: {reason}") from None
