"""Hub mode (``QNB_HUB_SERVICE``) without a hub: which requests a user's server and kernels
hand to qnb's hub service, how its rows come back, and the clear error a user gets when
the service cannot be asked. The service itself, with a real JupyterHub, is
``tests/test_hub.py``."""

from __future__ import annotations

import time

import pytest
from helpers import free_port

import qnb
from qnb.hub import remote
from qnb.hub.client import HubServiceError
from qnb.models import JobRecord, JobStatus
from qnb.server.forward import HubForward, foreign, involves_others
from qnb.server.service import JobService, ServiceError, job_json
from qnb.store import get_store, new_job_id


@pytest.mark.parametrize("owner,team,forwarded", [
    (None, None, False),       # one's own jobs: local
    ("alice", None, False),    # asking for oneself by name: local
    ("", "0", False),
    (None, "1", True),         # the team view
    (None, "true", True),
    ("bob", None, True),       # a teammate's jobs
    ("bob", "0", True),
])
def test_listings_of_other_users_jobs_go_to_the_service(owner, team, forwarded):
    assert involves_others("alice", owner, team) is forwarded


def test_reading_or_cancelling_a_job_goes_to_the_service_when_another_user_owns_it():
    assert foreign("alice", "bob")
    assert not foreign("alice", "alice")
    assert not foreign("alice", None)  # written before owners: nobody's


def test_a_row_from_the_service_is_the_job_as_it_was_shown():
    now = time.time()
    record = JobRecord(id=new_job_id(), backend="aer", provider="aer",
                       status=JobStatus.RUNNING, shots=10, created_at=now, started_at=now + 1,
                       owner="bob", name="bob-job", tags=["x"], progress_done=2,
                       progress_total=5, phase="simulating")
    back = remote.record_of(job_json(record))
    assert (back.id, back.owner, back.status, back.name, back.tags) == (
        record.id, "bob", JobStatus.RUNNING, "bob-job", ["x"])
    assert back.created_at == pytest.approx(now, abs=1e-3)
    assert back.progress() == (2, 5) and back.progress_phase() == "simulating"


def test_a_listings_filters_become_the_services_query():
    pairs = remote.query({"status": ["QUEUED", "RUNNING"], "backend": "aer", "tag": ["a", "b"],
                          "search": "ghz", "since": 1700000000.0, "session": None},
                         owner="bob", team=False)
    assert pairs == [("status", "QUEUED,RUNNING"), ("backend", "aer"), ("q", "ghz"),
                     ("tag", "a"), ("tag", "b"), ("since", "1700000000.0"), ("owner", "bob")]


@pytest.fixture
def unreachable(qnb_home, monkeypatch):
    """Hub mode, with a service nobody listens for."""
    url = f"http://127.0.0.1:{free_port()}/services/qnb/"
    monkeypatch.setenv("QNB_HUB_SERVICE", url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t0ken-of-alices-server")
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    return url


def test_a_server_that_cannot_reach_the_service_answers_502_naming_it(unreachable, qnb_home):
    service = JobService(qnb_home, hub=HubForward.from_env())
    with pytest.raises(ServiceError) as err:
        service.list_jobs(team="1")
    assert err.value.http_status == 502 and unreachable in err.value.message
    assert "t0ken" not in err.value.message
    assert service.list_jobs()["jobs"] == []  # her own view needs no service


def test_a_kernel_that_cannot_reach_the_service_says_so_and_keeps_its_own_jobs(unreachable):
    now = time.time()
    for owner in ("alice", "bob"):
        get_store().import_job(JobRecord(id=new_job_id(), backend="aer", provider="aer",
                                         status=JobStatus.DONE, shots=10, created_at=now,
                                         finished_at=now, owner=owner), "qpy", b"-",
                               result={"counts": [{"0": 10}]})
    with pytest.raises(HubServiceError, match="QNB_HUB_SERVICE.*could not be reached"):
        qnb.jobs(team=True)
    [mine] = qnb.jobs()
    assert mine.record.owner == "alice" and mine.counts() == {"0": 10}
    bobs = get_store().list(owner=["bob"])[0][0].id
    with pytest.raises(HubServiceError, match="could not be reached"):
        qnb.get_job(bobs)  # the service decides, and it could not be asked


def test_a_kernel_without_a_hub_token_is_told_what_is_missing(unreachable, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    with pytest.raises(HubServiceError, match="no JUPYTERHUB_API_TOKEN"):
        qnb.jobs(owner="bob")
