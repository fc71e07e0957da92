"""What a process inside a JupyterHub learns from the hub's REST API with its own token
(``JUPYTERHUB_API_URL``, ``JUPYTERHUB_API_TOKEN``): the groups of its user and their
members, where the token's scopes allow reading them (``read:users:groups!user``, and
``read:groups`` for the members). Nothing is cached for long: a group changed in the hub
shows within a minute."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

CACHE_SECONDS = 60.0
TIMEOUT = 5.0

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
