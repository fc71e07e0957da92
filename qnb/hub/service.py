"""qnb's REST API as a JupyterHub-managed service: ``python -m qnb.hub``, started by the hub
from ``c.JupyterHub.services`` (see docs/deploy.md, "JupyterHub").

Every request is authenticated by the hub (``HubOAuthenticated``: a user's API token in the
``Authorization`` header, or the hub's OAuth cookie in a browser) and acts for that user:
the same ``JobService`` as the Jupyter server extension, with the caller's name, their hub
groups (with members, read with the service's own token) and their scopes
(``custom:qnb:team-read``, ``custom:qnb:admin``). A refused action answers 403 with what
was missing; a user never receives another user's circuit, result or token.

The routes are those of the server extension, under the service's prefix:
``{prefix}api/jobs``, ``api/jobs.csv``, ``api/jobs/{id}``, ``api/jobs/{id}/cancel``,
``api/backends``, ``api/usage``.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web

from ..server.replies import JSONReplies
from ..server.service import JobService, ServiceError
from ..teams.access import Caller
from ..teams.groups import Team
from ..threads import lasting_pool
from .client import groups_with_members, hub_get

GROUPS_SECONDS = 30.0  # how long a user's groups are kept before the hub is asked again


class HubTeams:
    """Each user's hub groups and their members, read with the service's token (scopes
    ``read:users:groups`` and ``read:groups``), kept for ``GROUPS_SECONDS``."""

    def __init__(self, auth: HubOAuth) -> None:
        self.auth = auth
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, Team]] = {}

    def of(self, name: str, admins: tuple[str, ...] = ()) -> Team:
        with self._lock:
            found = self._seen.get(name)
        if found is not None and time.monotonic() - found[0] < GROUPS_SECONDS:
            return found[1]
        url, token = self.auth.api_url, self.auth.api_token
        model = hub_get(f"/users/{name}", url=url, token=token)
        names = [str(g) for g in (model or {}).get("groups") or []]
        team = Team(groups_with_members(names, url=url, token=token, fallback=name), admins)
        with self._lock:
            self._seen[name] = (time.monotonic(), team)
        return team


class HubApiHandler(JSONReplies, HubOAuthenticated, web.RequestHandler):
    """A request to the API, acting for the hub user who made it."""

    internal_error = "internal error in the qnb hub service; see its log"

    def initialize(self, service: JobService, teams: HubTeams, hub_auth: HubOAuth) -> None:
        self.service = service
        self.teams = teams
        self.hub_auth = hub_auth

    def get_login_url(self) -> str:
        if self.request.headers.get("Authorization"):  # an API client: no redirect
            raise web.HTTPError(403, "the hub did not accept this token for the qnb service")
        return super().get_login_url()

    def caller(self) -> Caller:
        model = self.current_user
        name = model["name"]
        return Caller.from_scopes(name, model.get("scopes"), lambda: self.teams.of(name))

    async def call(self, fn: Callable[..., Any], *args: Any, http_status: int = 200,
                   **kwargs: Any) -> None:
        """Run ``fn`` (a ``JobService`` method) off the event loop, as the caller."""
        who = self.caller()
        try:
            data = await asyncio.get_running_loop().run_in_executor(
                lasting_pool("qnb-hub", 4), functools.partial(fn, *args, caller=who, **kwargs))
        except ServiceError as exc:
            self.reply(exc.http_status, exc.body)
            return
        if isinstance(data, str):
            self.set_header("Content-Disposition", 'attachment; filename="qnb-jobs.csv"')
            self.set_header("Cache-Control", "no-store")
            self.finish(data)
            return
        self.reply(http_status, data)

    def query(self, *keys: str) -> dict[str, str | None]:
        return {key: self.get_query_argument(key, None) for key in keys}


FILTERS = ("status", "backend", "session", "q", "since", "owner", "team")


class JobsHandler(HubApiHandler):
    @web.authenticated
    async def get(self) -> None:
        await self.call(self.service.list_jobs, **self.query("limit", "offset", *FILTERS,
                                                             ), tag=self._tags())

    @web.authenticated
    async def post(self) -> None:
        if len(self.request.body) > self.service.max_body_bytes:
            err = self.service.too_large(len(self.request.body))
            self.reply(err.http_status, err.body)
            return
        await self.call(self.service.submit, self.request.body, http_status=201)

    def _tags(self) -> str | None:
        return ",".join(self.get_query_arguments("tag")) or None


class JobsCsvHandler(JobsHandler):
    @web.authenticated
    async def get(self) -> None:
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        await self.call(self.service.export_csv, **self.query("counts", *FILTERS),
                        tag=self._tags())


class JobHandler(HubApiHandler):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        await self.call(self.service.get_job, job_id)


class CancelHandler(HubApiHandler):
    @web.authenticated
    async def post(self, job_id: str) -> None:
        await self.call(self.service.cancel, job_id, http_status=202)


class BackendsHandler(HubApiHandler):
    @web.authenticated
    async def get(self) -> None:
        data = await asyncio.get_running_loop().run_in_executor(
            lasting_pool("qnb-hub", 4), self.service.backends)
        self.reply(200, data)


class UsageHandler(HubApiHandler):
    @web.authenticated
    async def get(self) -> None:
        await self.call(self.service.usage, **self.query("by", "since", "budget"))


def make_app(home: Path, prefix: str | None = None) -> web.Application:
    """The service's Tornado application for the store of ``home``, under ``prefix``
    (default ``$JUPYTERHUB_SERVICE_PREFIX``)."""
    prefix = (prefix or os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/qnb/"))
    prefix = prefix.rstrip("/") + "/"
    auth = HubOAuth(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60)
    deps = {"service": JobService(home), "teams": HubTeams(auth), "hub_auth": auth}
    api = prefix + "api/"
    return web.Application([
        (api + r"jobs/?", JobsHandler, deps),
        (api + r"jobs\.csv", JobsCsvHandler, deps),
        (api + r"jobs/([^/]+)/cancel/?", CancelHandler, deps),
        (api + r"jobs/([^/]+)/?", JobHandler, deps),
        (api + r"backends/?", BackendsHandler, deps),
        (api + r"usage/?", UsageHandler, deps),
        (prefix + "oauth_callback", HubOAuthCallbackHandler, {"hub_auth": auth}),
    ], cookie_secret=os.urandom(32))


async def serve(home: Path) -> None:
    """Listen where the hub said (``$JUPYTERHUB_SERVICE_URL``) until the hub stops the
    service (SIGTERM) or Ctrl-C."""
    where = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    server = make_app(home).listen(where.port or 80, where.hostname or "127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
