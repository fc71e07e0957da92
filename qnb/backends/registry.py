"""Where a backend is chosen: provider names map to adapter classes.

The one list of providers is the ``qnb.backends`` entry-point group (qnb's own are declared
in its ``pyproject.toml``); another package adds one with
``[project.entry-points."qnb.backends"] name = "package.module:ProviderClass"``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .base import ProfileError, Provider

ENTRY_POINT_GROUP = "qnb.backends"


@cache
def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def provider_names() -> list[str]:
    return sorted(_entry_points())


@cache
def provider_class(provider: str) -> type[Provider]:
    """The adapter class for a provider name; ``ProfileError`` lists the known ones."""
    entry = _entry_points().get(provider)
    if entry is None:
        known = ", ".join(provider_names()) or "none: is qnb installed (pip install -e .)?"
        raise ProfileError(f"unknown provider {provider!r} (known: {known})", "provider")
    cls = entry.load()
    cls.name_ = provider
    return cls


@cache
def provider_kind(provider: str) -> str:
    """"local" (run by the runner's workers) or "remote" (handed to a service); a name no
    provider has counts as local, so that its job is run there and ends in ERROR saying why."""
    try:
        return provider_class(provider).kind
    except Exception:
        return "local"


def validate_profile(provider: Any, options: dict[str, Any]) -> None:
    """Check a profile's provider and fields; ``ProfileError`` names the offending field."""
    if not isinstance(provider, str):
        raise ProfileError("provider must be a string", "provider")
    provider_class(provider).validate_options(options)


def make_provider(profile: Any) -> Provider:
    """Build the adapter for a ``config.Profile`` or its plain spec (as sent to a worker)."""
    spec = profile.to_spec() if hasattr(profile, "to_spec") else profile
    return provider_class(spec["provider"])(spec)
