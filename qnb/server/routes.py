"""Tornado handlers of the REST API under ``{base_url}/qnb/api/``: thin calls into ``JobService``.

Every verb needs an authenticated (and authorised) Jupyter user. Errors are JSON
``{"error": "..."}``; the service's work runs in a thread so the server's event loop stays free.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web, websocket

from ..threads import lasting_pool
from .changes import ChangeFeed
from .replies import JSONReplies
from .service import JobService, ServiceError

AUTH_RESOURCE = "qnb"
SERVICE_THREADS = 4

def service_pool() -> ThreadPoolExecutor:
    """The threads the service runs in, alive as long as the server process (not a per-loop
    default executor: see ``qnb.threads``)."""
    return lasting_pool("qnb-rest", SERVICE_THREADS)


class QnbHandler(JSONReplies, APIHandler):
    """Common ground: the service, JSON answers and JSON errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> JobService:
        return self.settings["qnb_service"]

    async def call(self, fn: Callable[..., Any], *args: Any, http_status: int = 200,
                   **kwargs: Any) -> None:
        """Run ``fn`` off the event loop and answer with its result or its ``ServiceError``."""
        try:
            data = await asyncio.get_running_loop().run_in_executor(
                service_pool(), functools.partial(fn, *args, **kwargs))
        except ServiceError as exc:
            self.reply(exc.http_status, exc.body)
            return
        self.reply(http_status, data)



@web.stream_request_body
class JobsHandler(QnbHandler):
    """``GET /qnb/api/jobs`` lists; ``POST /qnb/api/jobs`` submits OpenQASM.

    The body is streamed so that an oversized one is refused (413) without being held in
    memory: by its Content-Length before it arrives, or as soon as it passes the limit.
    """

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        await super().prepare()  # authentication: 403 before anything else
        if self.request.method == "POST":
            length = self.request.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > self.service.max_body_bytes:
                err = self.service.too_large(int(length))
                self.reply(err.http_status, err.body)

    def data_received(self, chunk: bytes) -> None:
        if self._finished or self._size > self.service.max_body_bytes:
            return  # already answered or already too large: drop the rest
        self._size += len(chunk)
        if self._size > self.service.max_body_bytes:
            self._chunks.clear()
        else:
            self._chunks.append(chunk)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.call(self.service.list_jobs, limit=self.get_query_argument("limit", None),
                        offset=self.get_query_argument("offset", None), **filters_of(self))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        if self._size > self.service.max_body_bytes:
            err = self.service.too_large(self._size)
            self.reply(err.http_status, err.body)
            return
        await self.call(self.service.submit, b"".join(self._chunks), http_status=201)


def filters_of(handler: QnbHandler) -> dict[str, str | None]:
    """The job filters of a listing's query string, as the service takes them (``tag`` may
    come several times: ``?tag=a&tag=b`` is ``?tag=a,b``)."""
    found: dict[str, str | None] = {key: handler.get_query_argument(key, None)
                                    for key in ("status", "backend", "session", "q", "since",
                                                "owner", "team")}
    found["tag"] = ",".join(handler.get_query_arguments("tag")) or None
    return found


class JobsCsvHandler(QnbHandler):
    """``GET /qnb/api/jobs.csv?<the filters of GET /qnb/api/jobs>[&counts=1]``: every
    matching job as the CSV of ``qnb export``, downloaded as a file. Errors stay JSON."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            text = await asyncio.get_running_loop().run_in_executor(
                service_pool(), functools.partial(
                    self.service.export_csv, counts=self.get_query_argument("counts", None),
                    **filters_of(self)))
        except ServiceError as exc:
            self.reply(exc.http_status, exc.body)
            return
        self.set_header("Content-Disposition", 'attachment; filename="qnb-jobs.csv"')
        self.set_header("Cache-Control", "no-store")
        self.finish(text, set_content_type="text/csv; charset=utf-8")


class JobHandler(QnbHandler):
    """``GET /qnb/api/jobs/{id}``."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        await self.call(self.service.get_job, job_id)


class CancelHandler(QnbHandler):
    """``POST /qnb/api/jobs/{id}/cancel`` -> 202, or 409 when the job has already finished."""

    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        await self.call(self.service.cancel, job_id, http_status=202)


class BackendsHandler(QnbHandler):
    """``GET /qnb/api/backends``."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.call(self.service.backends)


class UsageHandler(QnbHandler):
    """``GET /qnb/api/usage?by=backend|day|tag|status&since=WHEN`` (``&budget=1``: the
    caller's budgets instead)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.call(self.service.usage, by=self.get_query_argument("by", None),
                        since=self.get_query_argument("since", None),
                        budget=self.get_query_argument("budget", None))


class ChangesSocket(JupyterHandler, websocket.WebSocketHandler):
    """``GET /qnb/api/changes`` (WebSocket): ``{"type": "changed"}`` whenever jobs change,
    for sidebars to fetch what they show at once instead of on their next poll. The same
    authentication and authorisation as every verb of the API."""

    auth_resource = AUTH_RESOURCE

    @property
    def feed(self) -> ChangeFeed:
        return self.settings["qnb_changes"]

    async def pre_get(self) -> None:
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "read", AUTH_RESOURCE))
        if not allowed:
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await self.pre_get()
        res = super().get(*args, **kwargs)
        if res is not None:
            await res

    def open(self, *args: Any, **kwargs: Any) -> None:
        self.feed.add(self)
        self.write_message(json.dumps({"type": "hello"}))

    def on_message(self, message: str | bytes) -> None:
        pass  # the feed only speaks

    def on_close(self) -> None:
        self.feed.discard(self)


class NotFoundHandler(QnbHandler):
    """Anything else under ``/qnb/api/``: a JSON 404 rather than Jupyter's HTML page."""

    def _missing(self, path: str) -> None:
        self.reply(404, {"error": f"no such qnb API endpoint: /qnb/api/{path}"})

    @web.authenticated
    @authorized
    def get(self, path: str) -> None:
        self._missing(path)

    @web.authenticated
    @authorized
    def post(self, path: str) -> None:
        self._missing(path)


def setup_handlers(web_app: web.Application, service: JobService) -> None:
    """Register the API's routes under the server's base URL."""
    web_app.settings["qnb_service"] = service
    web_app.settings["qnb_changes"] = ChangeFeed(service)
    base = url_path_join(web_app.settings.get("base_url", "/"), "qnb", "api")
    web_app.add_handlers(".*$", [
        (url_path_join(base, "jobs") + "/?", JobsHandler),
        (url_path_join(base, r"jobs\.csv"), JobsCsvHandler),
        (url_path_join(base, "jobs", "([^/]+)", "cancel") + "/?", CancelHandler),
        (url_path_join(base, "jobs", "([^/]+)") + "/?", JobHandler),
        (url_path_join(base, "backends") + "/?", BackendsHandler),
        (url_path_join(base, "usage") + "/?", UsageHandler),
        (url_path_join(base, "changes") + "/?", ChangesSocket),
        (url_path_join(base, "(.*)"), NotFoundHandler),
    ])
