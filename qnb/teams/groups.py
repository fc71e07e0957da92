"""Owners and teams: who a process acts for, the groups they belong to, which jobs a view
shows, and the budgets that apply to a submit.

Outside a hub, groups and budgets are in the shared configuration (``config.toml`` of the
``QNB_HOME`` a team shares, read by ``qnb/config.py``)::

    [team]
    admins = ["carol"]                  # may cancel the jobs of their groups' members
    [team.groups]
    physics = ["alice", "bob"]

    [budgets.users]
    "*" = { usd = 20, period = "month" }           # each user without a budget of their own
    alice = { usd = 50, qpu_seconds = 600, period = "week" }
    [budgets.groups]
    physics = { usd = 500, period = "month" }      # the members' jobs together

Under JupyterHub the groups are the hub's (``qnb/hub/``), in the same ``Team`` shape.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..models import QnbError
from .budgets import LIMITS, PERIODS, Budget, Cap, period_start

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@+-")


class NotAllowed(QnbError, PermissionError):
    """An action on another user's jobs that this user may not take; says what is missing."""

    def __init__(self, message: str, missing: str) -> None:
        super().__init__(message)
        self.missing = missing


def current_user() -> str:
    """Who this process acts for: ``JUPYTERHUB_USER`` under a hub, else the Unix user."""
    hub = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub:
        return hub
    return _unix_user(os.getuid(), os.environ.get("LOGNAME"), os.environ.get("USER"))


@functools.lru_cache(maxsize=8)
def _unix_user(uid: int, logname: str | None, user: str | None) -> str:
    """``getpass.getuser()`` (which reads those variables, then the passwd entry of
    ``uid``), looked up once per process and answer: every submit asks."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a bare container): the numeric id
        return f"uid-{uid}"


@dataclass(frozen=True)
class Team:
    """Groups (name -> members) and the users with the admin scope over their groups."""

    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    admins: tuple[str, ...] = ()

    def groups_of(self, user: str) -> list[str]:
        return sorted(name for name, members in self.groups.items() if user in members)

    def teammates(self, user: str) -> set[str]:
        """``user`` and every member of the groups ``user`` belongs to."""
        found = {user}
        for name in self.groups_of(user):
            found.update(self.groups[name])
        return found


def team_of(configured: Team) -> Team:
    """The groups that apply here: the hub's, under a JupyterHub whose API lets this
    process read them (``qnb/hub/client.py``), else the configured ``[team]``."""
    if os.environ.get("JUPYTERHUB_API_URL") and os.environ.get("JUPYTERHUB_API_TOKEN"):
        from ..hub.client import hub_groups

        groups = hub_groups()
        if groups is not None:
            return Team(groups, configured.admins)
    return configured


def check_name(value: Any, where: str) -> str:
    if (not isinstance(value, str) or not value or len(value) > 128
            or not set(value) <= _NAME_CHARS):
        raise ValueError(f"{where}: {value!r} is not a user or group name (letters, digits, "
                         "_ . @ + -)")
    return value


def read_team(data: Any) -> Team:
    """The ``[team]`` table; ``ValueError`` naming the key that is wrong."""
    if not isinstance(data, dict):
        raise ValueError("team: must be a table")
    unknown = set(data) - {"groups", "admins"}
    if unknown:
        raise ValueError(f"team.{sorted(unknown)[0]}: unknown key (allowed: admins, groups)")
    groups = data.get("groups", {})
    if not isinstance(groups, dict):
        raise ValueError("team.groups: must be a table of group = [members]")
    out: dict[str, tuple[str, ...]] = {}
    for name, members in groups.items():
        check_name(name, "team.groups")
        if not isinstance(members, list):
            raise ValueError(f"team.groups.{name}: must be a list of user names")
        out[name] = tuple(check_name(m, f"team.groups.{name}") for m in members)
    admins = data.get("admins", [])
    if not isinstance(admins, list):
        raise ValueError("team.admins: must be a list of user names")
    return Team(out, tuple(check_name(a, "team.admins") for a in admins))


def read_budgets(data: Any) -> list[Budget]:
    """The ``[budgets]`` table (``users`` and ``groups``); ``ValueError`` naming what is
    wrong."""
    if not isinstance(data, dict):
        raise ValueError("budgets: must be a table")
    unknown = set(data) - {"users", "groups"}
    if unknown:
        raise ValueError(f"budgets.{sorted(unknown)[0]}: unknown key (allowed: users, groups)")
    out = []
    for table, kind in (("users", "user"), ("groups", "group")):
        entries = data.get(table, {})
        if not isinstance(entries, dict):
            raise ValueError(f"budgets.{table}: must be a table of name = {{usd = ...}}")
        for name, body in entries.items():
            where = f"budgets.{table}.{name}"
            if not (kind == "user" and name == "*"):
                check_name(name, f"budgets.{table}")
            if not isinstance(body, dict):
                raise ValueError(f"{where}: must be a table such as {{usd = 50, period = "
                                 "\"month\"}")
            extra = set(body) - {*LIMITS, "period"}
            if extra:
                raise ValueError(f"{where}.{sorted(extra)[0]}: unknown key (allowed: usd, "
                                 "qpu_seconds, period)")
            limits = {}
            for unit in LIMITS:
                value = body.get(unit)
                if value is not None and (isinstance(value, bool) or not isinstance(
                        value, (int, float)) or value < 0):
                    raise ValueError(f"{where}.{unit}: must be a non-negative number")
                limits[unit] = None if value is None else float(value)
            if all(v is None for v in limits.values()):
                raise ValueError(f"{where}: set usd and/or qpu_seconds")
            period = body.get("period", "month")
            if period not in PERIODS:
                raise ValueError(f"{where}.period: must be one of {', '.join(PERIODS)}")
            out.append(Budget(kind, name, limits["usd"], limits["qpu_seconds"], period))
    return out


def caps_for(user: str, team: Team, budgets: Iterable[Budget], now: float) -> tuple[Cap, ...]:
    """The caps a paid job of ``user`` must stay within: their own budget (or the ``*``
    one), and the budget of each group they belong to (counting every member's jobs)."""
    budgets = list(budgets)
    own = [b for b in budgets if b.kind == "user" and b.name == user] or [
        b for b in budgets if b.kind == "user" and b.name == "*"]
    caps = [Cap(Budget("user", user, b.usd, b.qpu_seconds, b.period), (user,),
                period_start(b.period, now)) for b in own]
    mine = set(team.groups_of(user))
    for b in budgets:
        if b.kind == "group" and b.name in mine:
            caps.append(Cap(b, team.groups[b.name], period_start(b.period, now)))
    return tuple(caps)


def view_owners(user: str, teammates: Callable[[], Iterable[str]], *,
                owner: str | None = None, team_view: bool = False,
                team_scope: bool = True) -> list[str | None]:
    """The owners whose jobs ``user`` sees: their own by default; every teammate's with
    ``team_view``; one ``owner``'s when asked, who must be the user or a teammate
    (``teammates()``, asked only then).
    ``NotAllowed`` says what is missing. Jobs without an owner (written before owners were
    recorded) stay where everyone who could see them before still does: in every view."""
    if owner is not None and owner != user:
        if not team_scope:
            raise NotAllowed(f"reading the jobs of {owner!r} needs the team scope "
                             f"(custom:qnb:team-read), which {user!r} does not have",
                             "custom:qnb:team-read")
        if owner not in teammates():
            raise NotAllowed(f"{owner!r} is not in any group of {user!r}; a user sees only "
                             "the jobs of their own groups' members", "group membership")
        return [owner]
    if owner == user or not team_view:
        return [user, None]
    if not team_scope:
        raise NotAllowed(f"the team view needs the team scope (custom:qnb:team-read), which "
                         f"{user!r} does not have", "custom:qnb:team-read")
    return [*sorted(teammates()), None]
