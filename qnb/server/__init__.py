"""The Jupyter server extension: qnb's REST API under ``{base_url}/qnb/api/`` and its metrics.

Enabled by ``jupyter-config/server-config/qnb.json`` (installed into
``{sys.prefix}/etc/jupyter/jupyter_server_config.d``). It serves the store of ``QNB_HOME``
as the server saw it at start (in hub mode, ``QNB_HUB_SERVICE``, what involves other users
is forwarded to qnb's hub service: ``forward.py``), and adds qnb's gauges and counters to
the server's own ``/metrics`` endpoint.
"""

from __future__ import annotations

from typing import Any


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from ..config import qnb_home
    from ..metrics import register_server_collector
    from .forward import HubForward
    from .routes import setup_handlers
    from .service import JobService

    home = qnb_home()
    hub = HubForward.from_env()
    service = JobService(home, hub=hub)
    setup_handlers(serverapp.web_app, service)
    register_server_collector(home)
    serverapp.log.info("qnb: REST API at %sqnb/api/ serving jobs of %s",
                       serverapp.web_app.settings.get("base_url", "/"), home)
    if hub is not None:
        serverapp.log.info("qnb: hub mode: other users' jobs are asked of %s", hub.url)


# Older jupyter_server versions look for the name without the leading underscore.
load_jupyter_server_extension = _load_jupyter_server_extension
