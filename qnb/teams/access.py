"""Who may do what with a job: the checks the REST API (in a Jupyter server, or as a
JupyterHub service) makes on every request, and the command line and Python API on their
own user's behalf.

- a user reads and cancels their own jobs (and those without an owner, written before
  owners were recorded);
- reading a teammate's job (a member of one of the user's groups) needs the team scope
  (``custom:qnb:team-read`` under a hub; membership of a ``[team.groups]`` group otherwise);
- cancelling another user's job needs the admin scope (``custom:qnb:admin`` under a hub;
  ``[team] admins`` otherwise), which also reads any user's jobs;
- nobody reads another user's circuit or result: their rows only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .groups import NotAllowed, Team, current_user, team_of, view_owners

TEAM_SCOPE = "custom:qnb:team-read"
ADMIN_SCOPE = "custom:qnb:admin"


@dataclass(frozen=True)
class Caller:
    """The user a request acts for, their groups and their scopes. The groups are asked
    for (``groups``: the hub, under one) only when a check needs them: a user's own jobs
    need none."""

    name: str
    groups: Callable[[], Team] = field(repr=False, compare=False)
    team_read: bool = True
    admin: bool = False

    @functools.cached_property
    def team(self) -> Team:
        return self.groups()

    @classmethod
    def local(cls, configured: Team) -> Caller:
        """The user of this process (``JUPYTERHUB_USER``, else the Unix user), with the
        groups that apply here; the admin scope when ``[team] admins`` names them."""
        name = current_user()
        return cls(name, lambda: team_of(configured), True, name in configured.admins)

    @classmethod
    def from_scopes(cls, name: str, scopes: Any, groups: Callable[[], Team]) -> Caller:
        """A hub user whose token carries ``scopes`` (the hub's expanded scope strings)."""
        held = {str(s).split("!", 1)[0] for s in scopes or ()}
        return cls(name, groups, TEAM_SCOPE in held or ADMIN_SCOPE in held,
                   ADMIN_SCOPE in held)

    def owns(self, record: Any) -> bool:
        return record.owner is None or record.owner == self.name

    def owners(self, *, owner: str | None = None, team: bool = False) -> list[str | None]:
        """The owners of the jobs a listing shows (``teams.view_owners``; an admin may ask
        for any one user's)."""
        if self.admin and owner is not None:
            return [owner]
        return view_owners(self.name, lambda: self.team.teammates(self.name), owner=owner,
                           team_view=team,
                           team_scope=self.team_read)

    def check_read(self, record: Any) -> None:
        """``NotAllowed`` unless this caller may see the job's row."""
        if self.owns(record) or self.admin:
            return
        if record.owner not in self.team.teammates(self.name):
            raise NotAllowed(f"job {record.id} belongs to {record.owner!r}, who is not in any "
                             f"group of {self.name!r}", "group membership")
        if not self.team_read:
            raise NotAllowed(f"reading job {record.id} of {record.owner!r} needs the team "
                             f"scope ({TEAM_SCOPE}), which {self.name!r} does not have",
                             TEAM_SCOPE)

    def check_cancel(self, record: Any) -> None:
        """``NotAllowed`` unless this caller may cancel the job."""
        if self.owns(record) or self.admin:
            return
        self.check_read(record)
        raise NotAllowed(f"cancelling job {record.id} of {record.owner!r} needs the admin "
                         f"scope ({ADMIN_SCOPE}), which {self.name!r} does not have",
                         ADMIN_SCOPE)

    def sees_result(self, record: Any) -> bool:
        """Whether this caller may read the job's result (and circuits): only their own."""
        return self.owns(record)
