"""How qnb's REST handlers answer, in the Jupyter server extension and in the hub service
alike: JSON bodies that are never cached, and Tornado's own errors (403, 404, 405, 500) in
the API's ``{"error": ...}`` shape."""

from __future__ import annotations

import json
from http.client import responses
from typing import Any

from tornado import web


class JSONReplies:
    """A mixin, put first among a handler's bases: ``reply`` and ``write_error``. It is no
    ``RequestHandler`` itself, so that it takes nothing else of the other bases' places
    (JupyterHub's ``HubOAuthenticated`` must come before ``RequestHandler``)."""

    #: what a 500 says instead of a traceback (where to look)
    internal_error = "internal error in the qnb server extension; see the server log"

    def reply(self: Any, status: int, data: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def write_error(self: Any, status_code: int, **kwargs: Any) -> None:
        message = responses.get(status_code, "error")
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        elif status_code >= 500:
            message = self.internal_error
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message}))
