"""This process's choices that outlive one call: the default backend ``%qbackend NAME`` set
(else the configuration's ``default_backend``)."""

from __future__ import annotations

from .config import Config, load_config

_chosen: str | None = None


def set_default_backend(name: str | None) -> None:
    """Set (or with None, clear) this process's default backend; ``%qbackend NAME`` calls it."""
    global _chosen
    if name is not None:
        load_config().profile(name)  # raises ConfigError listing the configured ones
    _chosen = name


def chosen_backend() -> str | None:
    """The backend ``set_default_backend`` chose, or None."""
    return _chosen


def default_backend(cfg: Config | None = None) -> str:
    """The backend a submit without one goes to."""
    return _chosen or (cfg or load_config()).default_backend
