"""A JupyterHub proxy that keeps the hub's routing table and forwards nothing, for
``tests/test_hub.py``: the test reaches the hub, the qnb service and each user's server on
their own ports, so no configurable-http-proxy (a Node.js program) is needed. Everything
else (authentication, tokens, scopes, groups, spawning) is JupyterHub's own."""

from __future__ import annotations

from typing import Any

from jupyterhub.proxy import Proxy


class RoutesOnly(Proxy):
    """The routes the hub adds and deletes, kept in memory; nothing is started."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.should_start = False
        self.routes: dict[str, dict[str, Any]] = {}

    async def add_route(self, routespec: str, target: str, data: dict[str, Any]) -> None:
        self.routes[routespec] = {"routespec": routespec, "target": target, "data": data}

    async def delete_route(self, routespec: str) -> None:
        self.routes.pop(routespec, None)

    async def get_all_routes(self) -> dict[str, dict[str, Any]]:
        return dict(self.routes)
