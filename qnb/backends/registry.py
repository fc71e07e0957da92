"""Where a backend is chosen: provider names map to adapter classes.

Built-in providers are listed here; other packages add theirs through the
``qnb.backends`` entry-point group (``name = "package.module:ProviderClass"``).
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from ..config import ConfigError, Profile
from .base import ProfileError, Provider

ENTRY_POINT_GROUP = "qnb.backends"

BUILTIN: dict[str, str] = {
    "aer": "qnb.backends.aer:AerProvider",
    "ibm-fake": "qnb.backends.ibm:IBMFakeProvider",
    "ibm-runtime": "qnb.backends.ibm:IBMRuntimeProvider",
    "pennylane": "qnb.backends.pennylane:PennyLaneProvider",
    "delayed": "qnb.backends.delayed:DelayedProvider",
}


@cache
def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def provider_names() -> list[str]:
    return sorted(set(BUILTIN) | set(_entry_points()))


@cache
def provider_class(provider: str) -> type[Provider]:
    """The adapter class for a provider name; ``ProfileError`` lists the known ones."""
    target = BUILTIN.get(provider) or _entry_points().get(provider)
    if target is None:
        raise ProfileError(
            f"unknown provider {provider!r} (known: {', '.join(provider_names())})", "provider")
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    cls.name_ = provider
    return cls


def validate_profile(name: str, provider: Any, options: dict[str, Any]) -> None:
    """Check a profile's provider and fields; raise ``ConfigError`` with ``.field`` set."""
    try:
        if not isinstance(provider, str):
            raise ProfileError("provider must be a string", "provider")
        provider_class(provider).validate_options(options)
    except ProfileError as exc:
        err = ConfigError(f"backend {name!r}: {exc}")
        err.field = exc.field
        raise err from None


def make_provider(profile: Profile | dict[str, Any]) -> Provider:
    """Build the adapter for a profile (or its spec, as sent to a worker)."""
    spec = profile.to_spec() if isinstance(profile, Profile) else profile
    return provider_class(spec["provider"])(spec)
