"""Owners, team views and permissions outside a hub (``[team]`` in the shared config), from
the Python API, the command line and the notebook: every job records who submitted it, a
user sees their own jobs by default and their groups' with ``team``, never another user's
results, and may cancel only their own without the admin scope."""

from __future__ import annotations

import csv
import getpass
import io
import json
import time

import pytest
from helpers import bell

import qnb
from qnb.api import submit
from qnb.cli import main as cli
from qnb.config import ConfigError, load_config
from qnb.models import JobStatus
from qnb.notebook.render import job_header_html, jobs_table_html
from qnb.store import get_store
from qnb.teams.groups import NotAllowed

TEAM = """
[team]
admins = ["carol"]
[team.groups]
physics = ["alice", "bob"]
chemistry = ["carol", "dave"]
"""


@pytest.fixture
def team(qnb_home, monkeypatch):
    (qnb_home / "config.toml").write_text(TEAM)
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    return qnb_home


def as_user(monkeypatch, name: str | None) -> None:
    if name is None:
        monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    else:
        monkeypatch.setenv("JUPYTERHUB_USER", name)


def submit_as(monkeypatch, name: str, **kwargs) -> str:
    as_user(monkeypatch, name)
    return submit(bell(), shots=50, seed=1, name=f"{name}-job", **kwargs).id


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_job_records_its_owner_everywhere_it_is_shown(team, monkeypatch, capsys):
    as_user(monkeypatch, None)
    unix = qnb.submit(bell(), shots=50, seed=1)
    assert unix.record.owner == getpass.getuser()  # outside a hub: the Unix user
    alice = submit_as(monkeypatch, "alice")
    store = get_store()
    assert store.get(alice).owner == "alice"  # under a hub: JUPYTERHUB_USER
    assert qnb.get_job(alice).wait(120) is JobStatus.DONE
    code, out, _ = run_cli(capsys, "jobs", "--json")
    assert code == 0 and [j["owner"] for j in json.loads(out)["jobs"]] == ["alice"]
    code, out, _ = run_cli(capsys, "jobs")
    assert "OWNER" in out.splitlines()[0] and "alice" in out.splitlines()[1]
    code, out, _ = run_cli(capsys, "show", alice)
    assert "owner:     alice" in out
    code, out, _ = run_cli(capsys, "export")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["owner"] == "alice" and row["id"] == alice
    assert ">alice<" in job_header_html(store.get(alice), time.time())


def test_each_user_sees_their_own_jobs_and_their_groups_in_the_team_view(team, monkeypatch,
                                                                        capsys):
    jobs = {name: submit_as(monkeypatch, name) for name in ("alice", "bob", "carol")}
    as_user(monkeypatch, "alice")
    assert [j.id for j in qnb.jobs()] == [jobs["alice"]]
    assert {j.id for j in qnb.jobs(team=True)} == {jobs["alice"], jobs["bob"]}
    assert [j.id for j in qnb.jobs(owner="bob")] == [jobs["bob"]]
    with pytest.raises(NotAllowed, match="'carol' is not in any group of 'alice'"):
        qnb.jobs(owner="carol")
    assert all(qnb.get_job(jobs[n]).wait(120) is JobStatus.DONE for n in ("alice", "bob"))
    frame = qnb.jobs_frame(team=True, counts=True).set_index("owner")
    assert set(frame.index) == {"alice", "bob"}
    assert frame.loc["bob", "counts"] is None  # a teammate's row, never its result
    assert sum(frame.loc["alice", "counts"][0].values()) == 50
    code, out, _ = run_cli(capsys, "jobs", "--team", "--json")
    assert {j["owner"] for j in json.loads(out)["jobs"]} == {"alice", "bob"}
    code, _, err = run_cli(capsys, "jobs", "--owner", "carol")
    assert code == 2 and "not in any group" in err
    # the %qjobs table of a team names each job's owner
    records, total = get_store().list(owner=["alice", "bob"])
    assert ">bob<" in jobs_table_html(records, time.time(), total, owners=True)
    as_user(monkeypatch, "dave")  # carol's group, which is not alice's
    assert {j.id for j in qnb.jobs(team=True)} == {jobs["carol"]}


def test_a_teammates_job_shows_its_row_but_never_its_result_and_cancel_needs_admin(
        team, monkeypatch, capsys):
    bob = submit_as(monkeypatch, "bob")
    assert qnb.get_job(bob).wait(120) is JobStatus.DONE
    as_user(monkeypatch, "alice")
    code, out, _ = run_cli(capsys, "show", bob)
    assert "owner:     bob" in out and "counts" not in out  # the row, not the result
    code, out, _ = run_cli(capsys, "export", "--team", "--counts")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["owner"] == "bob" and row["counts"] == ""
    with pytest.raises(NotAllowed, match="its result is theirs alone"):
        qnb.get_job(bob).counts()  # the Python API gives the row, never the result
    waiting = get_store().list(owner="bob")[0][0]
    as_user(monkeypatch, "bob")
    queued = submit(bell(), shots=50, backend="aer").id  # may already be running or done
    as_user(monkeypatch, "alice")
    code, _, err = run_cli(capsys, "cancel", queued)
    assert code == 2 and "needs the admin scope (custom:qnb:admin)" in err
    with pytest.raises(NotAllowed, match="custom:qnb:admin"):
        qnb.get_job(queued).cancel()  # the Python API refuses it too
    assert not get_store().get(queued).cancel_requested
    as_user(monkeypatch, "dave")
    code, _, err = run_cli(capsys, "show", waiting.id)
    assert code == 2 and "not in any group of 'dave'" in err
    as_user(monkeypatch, "carol")  # an admin: may cancel anyone's job
    code, out, _ = run_cli(capsys, "cancel", queued)
    assert code == 0


@pytest.mark.parametrize("text,words", [
    ('[team]\ngroups = ["a"]\n', "team.groups: must be a table"),
    ('[team.groups]\nphysics = "alice"\n', "team.groups.physics: must be a list"),
    ('[team]\nleads = []\n', "team.leads: unknown key"),
    ('[budgets.users]\nalice = { usd = -1 }\n', "budgets.users.alice.usd: must be a non-negative"),
    ('[budgets.groups]\nphysics = { period = "month" }\n', "set usd and/or qpu_seconds"),
    ('[budgets.users]\nalice = { usd = 5, period = "fortnight" }\n', "period: must be one of"),
    ('[budgets.teams]\n', "budgets.teams: unknown key"),
])
def test_a_broken_team_or_budget_table_is_refused_naming_the_key(qnb_home, text, words):
    (qnb_home / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_config(qnb_home)
    assert words in str(refused.value) and "config.toml" in str(refused.value)
