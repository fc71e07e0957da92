"""``python -m qnb.hub``: qnb's REST API as a JupyterHub service (``qnb/hub/service.py``),
serving the store of ``QNB_HOME`` (the hub passes it in the service's ``environment``)."""

from __future__ import annotations

import asyncio

from ..config import qnb_home
from .service import serve

if __name__ == "__main__":
    asyncio.run(serve(qnb_home()))
