"""qnb under JupyterHub: what a process asks with its own hub token (``client``: the user's
groups and their members, and the one request helper for qnb's hub service), qnb's REST API
run as a hub-managed service (``service``), where every request is authenticated by the hub
and checked against the caller's scopes, and, in hub mode (``QNB_HUB_SERVICE``), what a
user's kernels ask that service about other users' jobs (``remote``)."""
