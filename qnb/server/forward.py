"""Hub mode of the server extension (``QNB_HUB_SERVICE`` set in the user's server): the
requests that involve other users go to qnb's hub service, which decides, and its answer is
relayed unchanged (status and JSON, a 403's ``missing`` too).

Forwarded, with the server's own hub token (``JUPYTERHUB_API_TOKEN``): a listing or CSV of
the team view (``team=1``) or of another owner's jobs, reading or cancelling a job the
server's user does not own, and the budgets (``usage?budget=1``: the service holds the
budgets and reads the groups' members). Everything about the user's own jobs stays local.
"""

from __future__ import annotations

import os
from typing import Any

from ..hub.client import HubServiceError, ask_service, service_url


def involves_others(me: str, owner: str | None, team: str | None) -> bool:
    """Whether a listing's ``owner`` and ``team`` query values ask for other users' jobs."""
    who = (owner or "").strip()
    return (who != "" and who != me) or (team or "").strip().lower() in ("1", "true", "yes")


def foreign(me: str, record_owner: str | None) -> bool:
    """Whether a job belongs to another user (a job without an owner belongs to nobody)."""
    return record_owner is not None and record_owner != me


class HubForward:
    """The hub service of this user's server, asked with the server's token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    @classmethod
    def from_env(cls) -> HubForward | None:
        """Hub mode when ``QNB_HUB_SERVICE`` is set; None otherwise."""
        url = service_url()
        return cls(url, os.environ.get("JUPYTERHUB_API_TOKEN", "")) if url else None

    def relay(self, method: str, path: str, query: dict[str, str | None]) -> tuple[int, Any]:
        """The service's answer to ``method path?query`` (None values left out): its status,
        and its JSON (CSV text for ``jobs.csv``); 502 with what went wrong when it cannot be
        reached or answers without JSON (the hub's or a proxy's error page)."""
        pairs = [(k, v) for k, v in query.items() if v is not None]
        try:
            answer = ask_service(method, path, pairs, url=self.url, token=self.token)
        except HubServiceError as exc:
            return 502, {"error": str(exc)}
        ok = 200 <= answer.status < 300
        if ok and path.endswith(".csv"):
            return answer.status, answer.body.decode("utf-8", errors="replace")
        body = answer.json()
        if isinstance(body, dict):
            return answer.status, body
        text = answer.body[:200].decode("utf-8", errors="replace")
        return 502, {"error": f"the qnb hub service at {self.url} answered {answer.status} "
                              f"without JSON: {text}"}
