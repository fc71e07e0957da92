"""Where qnb keeps its files (``QNB_HOME``) and the named backend profiles.

Profiles come from three places, later ones overriding earlier ones:
the built-in ``aer`` and ``azure-estimator`` profiles, ``$QNB_HOME/config.toml`` and ``./qnb.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import QnbError
from .teams.budgets import Budget
from .teams.groups import Team, read_budgets, read_team

DEFAULT_BACKEND = "aer"
#: built in beside "aer": the Quantum Development Kit's local resource estimator
ESTIMATOR_BACKEND = "azure-estimator"
_TOP_KEYS = {"default_backend", "backends", "runner", "limits", "store", "team", "budgets"}
_STORE_KEYS = {"url": str}
_RUNNER_KEYS = {"idle_timeout": (int, float), "workers": int, "max_attempts": int,
                "max_crashes": int, "backups": int, "keep_days": (int, float),
                "check_every": (int, float), "lease_seconds": (int, float), "autostart": bool}
_LIMIT_KEYS = {"max_queued": int, "max_payload_mb": (int, float)}
#: what a store takes: jobs waiting at once, and the size of one job's circuits
DEFAULT_LIMITS = {"max_queued": 100_000, "max_payload_mb": 100}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConfigError(QnbError, ValueError):
    """A configuration file is broken; the message names the file, line and key."""


class UnknownBackend(ConfigError):
    """No profile has this name; ``configured`` lists the ones there are."""

    def __init__(self, message: str, configured: list[str]) -> None:
        super().__init__(message)
        self.configured = configured


def qnb_home() -> Path:
    """The folder holding the store, configuration and runner files (``QNB_HOME``)."""
    from .files import private_dir, warn_if_exposed

    home = Path(os.environ.get("QNB_HOME") or Path.home() / ".qnb").expanduser()
    if not home.is_dir():
        private_dir(home)
    warn_if_exposed(home)
    return home


def store_url(home: Path) -> str | None:
    """The URL of the store to use, if not ``home``'s SQLite file: ``QNB_STORE``, else
    ``[store] url`` in ``home``'s ``config.toml`` (only there: a notebook folder's
    ``qnb.toml`` cannot move a user's jobs elsewhere)."""
    url = os.environ.get("QNB_STORE", "").strip()
    if url:
        return url
    path = home / "config.toml"
    if not path.is_file():
        return None
    cfg = Config()
    _read(path, cfg)
    return cfg.store.get("url") or None


_autostart_seen: dict[Path, tuple[float, bool]] = {}


def autostart_runner(home: Path) -> bool:
    """Whether a submit or a wait here starts a runner when none serves ``home``: yes, unless
    ``QNB_RUNNER_AUTOSTART=0`` or ``[runner] autostart = false`` (a team's shared store that
    runners started as services serve). Read again only when config.toml changes."""
    env = os.environ.get("QNB_RUNNER_AUTOSTART", "").strip().lower()
    if env:
        return env not in ("0", "false", "no", "off")
    path = home / "config.toml"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return True
    seen = _autostart_seen.get(path)
    if seen is None or seen[0] != mtime:
        cfg = Config()
        try:
            _read(path, cfg)
            value = bool(cfg.runner.get("autostart", True))
        except ConfigError:
            value = True  # a broken file is reported where it is read for its profiles
        seen = _autostart_seen[path] = (mtime, value)
    return seen[1]


@dataclass(frozen=True)
class Profile:
    """A named backend: a provider plus its settings (everything but secrets)."""

    name: str
    provider: str
    options: dict[str, Any] = field(default_factory=dict)
    source: str = "built-in"

    def to_spec(self) -> dict[str, Any]:
        """A plain, picklable description a worker process rebuilds the backend from."""
        return {"name": self.name, "provider": self.provider, "options": dict(self.options)}


@dataclass
class Config:
    default_backend: str = DEFAULT_BACKEND
    profiles: dict[str, Profile] = field(default_factory=dict)
    runner: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    store: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    #: groups and admins outside a hub, and the budgets of paid backends (``qnb/teams/``)
    team: Team = field(default_factory=Team)
    budgets: list[Budget] = field(default_factory=list)

    def profile(self, name: str | None) -> Profile:
        """The profile called ``name`` (the default when None), or a ``ConfigError`` listing all."""
        key = name or self.default_backend
        try:
            return self.profiles[key]
        except KeyError:
            names = sorted(self.profiles)
            raise UnknownBackend(
                f"unknown backend {key!r}; configured backends: {', '.join(names)}", names
            ) from None


def _line_of(text: str, table: str | None, key: str | None) -> int | None:
    """Best-effort line number of ``key`` inside ``[table]`` (or of the table header)."""
    lines = text.splitlines()
    start = 0
    if table:
        header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table.split("."))) + r"\s*\]")
        for i, line in enumerate(lines):
            if header.match(line):
                start = i
                if key is None:
                    return i + 1
                break
        else:
            return None
    if key is None:
        return None
    pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
    for i in range(start, len(lines)):
        if i > start and table and lines[i].lstrip().startswith("["):
            break
        if pattern.match(lines[i]):
            return i + 1
    return None


def _err(path: Path, text: str, table: str | None, key: str | None, msg: str) -> ConfigError:
    line = _line_of(text, table, key)
    where = f"{path}" + (f", line {line}" if line else "")
    what = ".".join(p for p in (table, key) if p)
    return ConfigError(f"{where}: {what}: {msg}" if what else f"{where}: {msg}")


def _read(path: Path, cfg: Config) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    cfg.files.append(str(path))
    for key in data:
        if key not in _TOP_KEYS:
            raise _err(path, text, None, key, f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    if "default_backend" in data:
        if not isinstance(data["default_backend"], str):
            raise _err(path, text, None, "default_backend", "must be a string")
        cfg.default_backend = data["default_backend"]
    for table, keys, into in (("runner", _RUNNER_KEYS, cfg.runner),
                              ("limits", _LIMIT_KEYS, cfg.limits),
                              ("store", _STORE_KEYS, cfg.store)):
        values = data.get(table, {})
        if not isinstance(values, dict):
            raise _err(path, text, None, table, "must be a table")
        for key, value in values.items():
            if key not in keys:
                raise _err(path, text, table, key, f"unknown key (allowed: {', '.join(keys)})")
            if isinstance(value, bool) or not isinstance(value, keys[key]):
                raise _err(path, text, table, key, f"wrong type {type(value).__name__}")
            if (table == "limits" or key in ("keep_days", "check_every")) and value <= 0:
                raise _err(path, text, table, key, "must be positive")
            into[key] = value
    try:
        if "team" in data:
            cfg.team = read_team(data["team"])
        if "budgets" in data:
            cfg.budgets = read_budgets(data["budgets"])
    except ValueError as exc:
        where, _, msg = str(exc).partition(": ")
        table, _, key = where.rpartition(".")
        raise _err(path, text, table or None, key or None, msg) from None
    backends = data.get("backends", {})
    if not isinstance(backends, dict):
        raise _err(path, text, None, "backends", "must be a table of profiles")
    from .backends.base import ProfileError
    from .backends.registry import validate_profile  # light: no provider SDK is imported

    for name, body in backends.items():
        table = f"backends.{name}"
        if not _NAME_RE.match(name):
            raise _err(path, text, table, None, "a profile name is letters, digits, '_', '-', '.'")
        if not isinstance(body, dict):
            raise _err(path, text, None, table, "must be a table")
        if "provider" not in body:
            raise _err(path, text, table, None, "missing field 'provider'")
        options = {k: v for k, v in body.items() if k != "provider"}
        try:
            validate_profile(body["provider"], options)
        except ProfileError as exc:
            raise _err(path, text, table, exc.field, f"backend {name!r}: {exc}") from None
        cfg.profiles[name] = Profile(name, body["provider"], options, str(path))


def load_config(home: Path | None = None, cwd: Path | None = None) -> Config:
    """Read the built-in, user (``$QNB_HOME/config.toml``) and project (``./qnb.toml``) profiles."""
    cfg = Config(profiles={DEFAULT_BACKEND: Profile(DEFAULT_BACKEND, "aer"),
                           ESTIMATOR_BACKEND: Profile(ESTIMATOR_BACKEND, "azure-estimator")})
    home = home or qnb_home()
    for path in (home / "config.toml", (cwd or Path.cwd()) / "qnb.toml"):
        if path.is_file():
            _read(path, cfg)
    if cfg.default_backend not in cfg.profiles:
        raise ConfigError(
            f"default_backend {cfg.default_backend!r} is not a configured backend; "
            f"configured: {', '.join(sorted(cfg.profiles))}"
        )
    return cfg
