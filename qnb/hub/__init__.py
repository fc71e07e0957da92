"""qnb under JupyterHub: what a kernel learns from the hub (``client``: the user's groups
and their members) and qnb's REST API run as a hub-managed service (``service``), where
every request is authenticated by the hub and checked against the caller's scopes."""
