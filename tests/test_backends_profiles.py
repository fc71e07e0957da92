"""Backend profiles: TOML records checked with errors naming the profile and the field,
listed by %qbackend, switched by name, and extended by third-party packages."""

from __future__ import annotations

import os
import textwrap
import time

import pytest
from helpers import bell
from IPython.core.interactiveshell import InteractiveShell

import qnb
from qnb.backends import registry
from qnb.backends.listing import format_backends, list_backends
from qnb.config import ConfigError, load_config
from qnb.models import JobStatus, SubmitError

PROFILES = """
default_backend = "aer"
[backends.manila]
provider = "ibm-fake"
device = "FakeManilaV2"
[backends.lightning]
provider = "pennylane"
device = "lightning.qubit"
[backends.slow]
provider = "delayed"
queue_seconds = 0.5
[backends.ibm-local]
provider = "ibm-runtime"
channel = "local"
backend = "fake_lima"
"""


def write_config(home, text: str) -> None:
    (home / "config.toml").write_text(textwrap.dedent(text))


@pytest.mark.parametrize(("body", "field", "words"), [
    ('provider = "ibm-quantum"\ndevice = "x"', "provider", ["unknown provider 'ibm-quantum'",
                                                              "ibm-fake", "ibm-runtime"]),
    ('provider = "ibm-fake"', "device", ["missing field 'device'"]),
    ('provider = "ibm-fake"\ndevice = "FakeManhattanV3"', "device",
     ["unknown device 'FakeManhattanV3'", "did you mean FakeManhattanV2"]),
    ('provider = "ibm-fake"\ndevice = "FakeManilaV2"\nshots = 5', "shots", ["unknown field"]),
    ('provider = "ibm-runtime"\nbackend = "ibm_torino"\nchannel = "ibm_quantum"', "channel",
     ["unknown channel 'ibm_quantum'"]),
    ('provider = "ibm-runtime"\nchannel = "local"\nbackend = "fake_nowhere"', "backend",
     ["unknown device 'fake_nowhere'"]),
    ('provider = "ibm-runtime"', "backend", ["missing field 'backend'"]),
    ('provider = "pennylane"\ndevice = "lightning.qbit"', "device",
     ["unknown PennyLane device 'lightning.qbit'", "lightning.qubit"]),
    ('provider = "delayed"\nfailure_rate = 2', "failure_rate", ["between 0 and 1"]),
    ('provider = "delayed"\nqueue_seconds = "long"', "queue_seconds", ["wrong type str"]),
])
def test_a_bad_profile_names_the_profile_and_the_field(qnb_home, body, field, words):
    write_config(qnb_home, f"[backends.mine]\n{body}\n")
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert "config.toml" in msg and "backends.mine" in msg and field in msg, msg
    for word in words:
        assert word in msg, msg
    with pytest.raises(SubmitError, match="backends.mine"):
        qnb.submit(bell())
    assert not (qnb_home / "jobs.sqlite").exists() or qnb.jobs() == []


def test_a_token_in_a_profile_is_refused_without_repeating_it(qnb_home):
    secret = "tok-9f8e7d6c5b4a"
    write_config(qnb_home, f"""
        [backends.ibm]
        provider = "ibm-runtime"
        backend = "ibm_torino"
        token = "{secret}"
        """)
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert "backends.ibm" in msg and "token" in msg and secret not in msg
    assert "QiskitRuntimeService.save_account" in msg and "QISKIT_IBM_TOKEN" in msg


def test_listing_shows_each_profile_with_provider_width_kind_and_reachability(qnb_home):
    write_config(qnb_home, PROFILES)
    infos = {b.name: b for b in list_backends()}
    assert set(infos) == {"aer", "azure-estimator", "manila", "lightning", "slow", "ibm-local"}
    assert infos["aer"].default and not infos["manila"].default
    manila = infos["manila"]
    assert (manila.provider, manila.num_qubits, manila.simulator, manila.reachable) == (
        "ibm-fake", 5, True, True)
    assert "fake_manila" in manila.detail
    assert infos["lightning"].provider == "pennylane" and infos["lightning"].reachable
    assert infos["slow"].provider == "delayed" and infos["slow"].reachable
    local = infos["ibm-local"]
    assert (local.num_qubits, local.reachable) == (5, True) and "local testing" in local.detail
    text = format_backends(list_backends())
    assert "manila" in text and "ibm-fake" in text and "simulator" in text


def test_an_unreachable_service_is_listed_as_such_and_quickly(qnb_home, monkeypatch, tmp_path):
    """Offline: the real QiskitRuntimeService fails to reach IBM Cloud; a service that never
    answers is given up after describe_timeout. Neither hides the other profiles."""
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "not-a-real-token-0001")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:bluemix:public:quantum-computing:us-east:a/0::")
    mod = tmp_path / "hanging_service.py"
    mod.write_text("import time\ndef make(settings):\n    time.sleep(60)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    write_config(qnb_home, """
        [backends.ibm]
        provider = "ibm-runtime"
        backend = "ibm_torino"
        [backends.hanging]
        provider = "ibm-runtime"
        backend = "ibm_torino"
        service_factory = "hanging_service:make"
        describe_timeout = 1
        """)
    t0 = time.monotonic()
    infos = {b.name: b for b in list_backends()}
    assert time.monotonic() - t0 < 30  # bounded, not a timing benchmark
    ibm, hanging = infos["ibm"], infos["hanging"]
    assert not ibm.reachable and not ibm.simulator and ibm.detail
    assert "not-a-real-token" not in ibm.detail
    assert not hanging.reachable and "no answer from the service within 1 s" in hanging.detail
    assert infos["aer"].reachable


def test_qbackend_lists_and_switches_the_kernel_default(qnb_home, capsys):
    write_config(qnb_home, PROFILES)
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext qnb", store_history=False)
    table = shell.run_cell("%qbackend", store_history=False).result
    html = table._repr_html_()
    assert "manila" in html and "ibm-fake" in html and "lightning" in html
    assert shell.run_cell("%qbackend manila", store_history=False).success
    assert "default backend for this kernel: manila" in capsys.readouterr().out
    job = qnb.submit(bell(), shots=200, seed=3)
    assert job.backend == "manila" and job.record.provider == "ibm-fake"
    bad = shell.run_cell("%qbackend nowhere", store_history=False)
    assert not bad.success and "configured backends" in str(bad.error_in_exec)
    res = shell.run_cell("%%qsubmit -b slow -s 100 -o j2\nfrom qiskit import QuantumCircuit\n"
                         "qc = QuantumCircuit(1); qc.x(0); qc.measure_all(); qc",
                         store_history=False)
    assert res.success, res.error_in_exec
    assert shell.user_ns["j2"].backend == "slow"
    assert job.wait(timeout=120) is JobStatus.DONE
    assert shell.user_ns["j2"].counts() == {"1": 100}
    shell.run_cell("%qbackend aer", store_history=False)


def test_mitigation_is_refused_where_there_is_nothing_to_mitigate(qnb_home):
    with pytest.raises(SubmitError, match="no readout errors to mitigate"):
        qnb.submit(bell(), run_options={"mitigate": True})


ENTRY_POINTS = """\
[qnb.backends]
echo = echo_backend:EchoProvider
"""

ECHO = '''
"""A third-party backend: returns all-zero counts for every circuit."""
from qnb.backends.base import BackendInfo, Field, Provider


class EchoProvider(Provider):
    kind = "local"
    fields = {"width": Field(int, required=True)}

    def max_qubits(self):
        return self.options["width"]

    def run(self, payload_format, payload, shots, seed, options):
        from qnb.circuits import decode
        return {"counts": [{"0" * qc.num_clbits: shots} for qc in decode(payload)],
                "metadata": {"echo": True}}
'''


def test_a_third_party_provider_is_found_through_its_entry_point(qnb_home, tmp_path,
                                                                 monkeypatch):
    site = tmp_path / "site"
    (site / "echo_backend-1.0.dist-info").mkdir(parents=True)
    (site / "echo_backend-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: echo-backend\nVersion: 1.0\n")
    (site / "echo_backend-1.0.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS)
    (site / "echo_backend.py").write_text(ECHO)
    monkeypatch.syspath_prepend(str(site))
    # the runner is another process: it finds the package the same way, on its path
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH")) if p))
    registry._entry_points.cache_clear()
    registry.provider_class.cache_clear()
    try:
        assert "echo" in registry.provider_names()
        write_config(qnb_home, "[backends.echo]\nprovider = \"echo\"\nwidth = 3\n")
        info = {b.name: b for b in list_backends()}["echo"]
        assert info.provider == "echo" and info.num_qubits == 3
        with pytest.raises(SubmitError, match="takes at most 3"):
            qnb.submit(bell().tensor(bell()), backend="echo")
        job = qnb.submit(bell(), backend="echo", shots=10)
        assert job.counts() == {"00": 10}
        assert job.result().metadata == {"echo": True}
        write_config(qnb_home, "[backends.echo]\nprovider = \"echo\"\n")
        with pytest.raises(ConfigError, match="backends.echo.*missing field 'width'"):
            load_config()
    finally:
        registry._entry_points.cache_clear()
        registry.provider_class.cache_clear()
