"""Budgets for paid backends, against the Braket stand-in driven through boto3: a submit
reserves its estimate (the profile's price per task and shot, or the largest of recent
comparable jobs) as it is queued; one that would pass a cap is refused before anything is
sent, naming the cap, spent, reserved and the estimate; what ended is settled from the
usage ledger; local simulators never count; ``qnb usage --budget`` shows each budget."""

from __future__ import annotations

import json
import os
from pathlib import Path

import braket_standin
import pytest
from helpers import bell, isolated_home

import qnb
from qnb.cli import main as cli
from qnb.models import JobStatus
from qnb.teams.budgets import BudgetExceeded

TESTS = Path(__file__).resolve().parent
CONFIG = f"""
[runner]
workers = 1

{braket_standin.FORTE_PROFILE}
[backends.sv1]
provider = "braket"
device = "{braket_standin.SV1}"
region = "us-east-1"
s3_bucket = "{braket_standin.BUCKET}"
client_factory = "braket_standin:make_client"
describe_timeout = 60

[team.groups]
physics = ["alice", "bob"]

[budgets.users]
alice = {{ usd = 20, period = "month" }}
bob = {{ qpu_seconds = 5, period = "day" }}

[budgets.groups]
physics = {{ usd = 100, period = "month" }}
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH"))
                                      if p),
        "AWS_ACCESS_KEY_ID": "AKIAQNBTESTS0FAKE0ID",
        "AWS_SECRET_ACCESS_KEY": "qnbFAKEsecret/budgets0123456789abcdefghij",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    with isolated_home(tmp_path, CONFIG, env=env) as home:
        braket_standin.reset(queue_seconds=0.3, run_seconds=0.2)
        yield home


def creates() -> int:
    return sum(1 for c in braket_standin.calls() if c["op"] == "CreateQuantumTask")


def budgets(capsys) -> dict[str, dict]:
    assert cli(["usage", "--budget", "--format", "json"]) == 0
    return {b["budget"]: b for b in json.loads(capsys.readouterr().out)["budgets"]}


def test_a_submit_past_the_cap_is_refused_before_anything_is_sent(home, monkeypatch, capsys):
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    jobs = [qnb.submit(bell(), backend="forte", shots=100, seed=i) for i in range(2)]
    sent = len(jobs)
    with pytest.raises(BudgetExceeded) as refused:
        qnb.submit(bell(), backend="forte", shots=100, name="one too many")
    text, detail = str(refused.value), refused.value.detail
    for words in ("budget of user alice would be exceeded", "cap $20.00 per month",
                  "spent $", "reserved $", "estimate is $8.30",
                  "from the price of profile 'forte'", "Nothing was sent"):
        assert words in text
    assert detail["spent"] + detail["reserved"] == pytest.approx(16.6)
    assert not [j for j in qnb.jobs(search="one too many")]  # nothing was written
    local = qnb.submit(bell(), backend="aer", shots=100)  # simulators never count
    for job in (*jobs, local):
        assert job.wait(120) is JobStatus.DONE, job.record.error
    assert creates() == sent  # the refused job reached no service
    mine = budgets(capsys)
    assert mine["user alice"]["usd"] == pytest.approx(
        {"cap": 20.0, "spent": 16.6, "reserved": 0.0, "left": 3.4})
    assert mine["group physics"]["usd"]["spent"] == pytest.approx(16.6)
    assert cli(["usage", "--budget"]) == 0
    table = capsys.readouterr().out
    assert "user alice" in table and "$16.60" in table and "$3.40" in table


def test_qpu_seconds_are_estimated_from_the_largest_recent_comparable_job(home, monkeypatch,
                                                                         capsys):
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    first = qnb.submit(bell(), backend="sv1", shots=100, seed=1)  # nothing known: 0 reserved
    assert first.wait(120) is JobStatus.DONE, first.record.error
    used = budgets(capsys)["user bob"]["qpu_seconds"]["spent"]
    assert used >= 3  # the managed simulator bills three seconds at least
    with pytest.raises(BudgetExceeded) as refused:
        qnb.submit(bell(), backend="sv1", shots=120, seed=2)
    assert "the largest of 1 recent comparable jobs" in str(refused.value)
    assert f"estimate is {used:,.1f} QPU s" in str(refused.value)
    assert "cap 5.0 QPU s per day" in str(refused.value)
    assert creates() == 1
