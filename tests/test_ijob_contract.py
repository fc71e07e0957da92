"""The sidebar's TypeScript ``IJob`` has exactly the keys of the server's job JSON.

``labextension/src/__tests__/fixtures/job.json`` is what ``GET /qnb/api/jobs/{id}`` answers
for a DONE job with readout-mitigated counts: the job record's JSON without ``options``
(``qnb.server.service.job_json``) plus ``counts`` and ``mitigated``, the ``pubs`` that a
DONE primitive job adds and the ``estimates`` that a DONE resource estimate adds. The
contract is a chain of exact equalities, so a key added to or dropped from any link fails a
test:

    keys of the server's JSON == keys of job.json      (this file)
    keys of job.json == JOB_KEYS                       (labextension/src/__tests__/job.spec.ts)
    JOB_KEYS == keyof IJob                             (a type-level check in labextension/src/job.ts)

Listings (``GET /qnb/api/jobs``) carry the same keys minus ``counts``, ``mitigated``,
``pubs`` and ``estimates``, the ones that ``IJob`` marks optional. When the job JSON changes,
regenerate the fixture, then update ``IJob`` and ``JOB_KEYS`` until ``npm test`` passes:

    QNB_WRITE_JOB_FIXTURE=1 .venv/bin/python -m pytest tests/test_ijob_contract.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import bell
from qiskit.quantum_info import SparsePauliOp

import qnb
from qnb.server.service import JobService

FIXTURE = (Path(__file__).resolve().parents[1] / "labextension" / "src" / "__tests__"
           / "fixtures" / "job.json")
#: what GET /jobs/{id} of a DONE job adds
DETAIL_ONLY = {"counts", "mitigated", "pubs", "estimates"}
# A noisy device model: the one kind of local backend whose results carry mitigated counts.
CONFIG = '[backends.manila]\nprovider = "ibm-fake"\ndevice = "FakeManilaV2"\n'


@pytest.fixture
def done_job(qnb_home: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A real job run to DONE with mitigation: (its GET answer, its entry in the listing)."""
    (qnb_home / "config.toml").write_text(CONFIG)
    job = qnb.submit(bell(), backend="manila", shots=200, seed=1,
                     run_options={"mitigate": True})
    estimator = qnb.submit((bell(measure=False), SparsePauliOp("ZZ")), backend="manila")
    estimate = qnb.submit(bell(), backend="azure-estimator")  # the built-in resource estimator
    for each in (job, estimator, estimate):
        assert each.wait(180) == "DONE", each.record.error
    service = JobService(qnb_home)
    listed = [j for j in service.list_jobs()["jobs"] if j["id"] == job.id]
    # one job with every key a DONE job can have: mitigated counts, a primitive's PUBs, and
    # a resource estimate's figures
    detail = {**service.get_job(job.id), "pubs": service.get_job(estimator.id)["pubs"],
              "estimates": service.get_job(estimate.id)["estimates"]}
    return detail, listed[0]


def test_the_job_fixture_has_the_keys_the_server_sends(done_job):
    detail, listed = done_job
    if os.environ.get("QNB_WRITE_JOB_FIXTURE"):
        FIXTURE.write_text(json.dumps(detail, indent=2) + "\n")
    fixture = json.loads(FIXTURE.read_text())
    assert set(detail) == set(fixture), (
        f"the server's job JSON and {FIXTURE.name} differ: only the server has "
        f"{sorted(set(detail) - set(fixture))}, only the fixture has "
        f"{sorted(set(fixture) - set(detail))}; see this file's docstring to regenerate it")
    assert set(listed) == set(fixture) - DETAIL_ONLY
