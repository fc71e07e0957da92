"""Cirq circuits as qnb input: ``qnb.submit``, ``%%qsubmit`` / ``%qsubmit`` and ``qnb submit
FILE.json`` take a ``cirq.Circuit``; ``qnb.cirq.Sampler`` is a ``cirq.Sampler`` whose sweeps
are one job; results read back in Cirq's terms. Run by a real runner on Aer, and checked
against Cirq's own simulator's exact probabilities."""

from __future__ import annotations

import json
import subprocess
import sys

import cirq
import numpy as np
import pytest
import sympy
from helpers import isolated_home
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import qnb
from qnb.models import SubmitError
from qnb.store import get_store

SHOTS = 2000


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME and one warm runner for the module."""
    with isolated_home(tmp_path_factory.mktemp("cirq"), "[runner]\nworkers = 2\n") as h:
        yield h


def bell_circuit() -> cirq.Circuit:
    a, b = cirq.LineQubit.range(2)
    return cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.measure(a, b, key="m"))


def within(counts: dict, probabilities: dict, shots: int) -> bool:
    """Every outcome's count within 5 standard deviations of its expected number."""
    for outcome in set(counts) | set(probabilities):
        p = probabilities.get(outcome, 0.0)
        if abs(counts.get(outcome, 0) - p * shots) > 5 * np.sqrt(shots * p * (1 - p)) + 1e-9:
            return False
    return True


def exact(circuit: cirq.Circuit, key: str, resolver=None) -> dict[int, float]:
    """Cirq's own simulator's exact probabilities of a key's outcomes (as integers, the
    first measured qubit most significant, as ``cirq.Result.histogram`` counts them)."""
    resolved = cirq.resolve_parameters(circuit, resolver or {})
    measured = next(op for op in resolved.all_operations() if cirq.is_measurement(op)
                and cirq.measurement_key_name(op) == key)
    unitary_part = cirq.drop_terminal_measurements(resolved)
    qubits = sorted(resolved.all_qubits())
    state = cirq.final_state_vector(unitary_part, qubit_order=qubits)
    probs = np.abs(state) ** 2
    n = len(qubits)
    out: dict[int, float] = {}
    for index, p in enumerate(probs):
        bits = [(index >> (n - 1 - qubits.index(q))) & 1 for q in measured.qubits]
        value = int("".join(map(str, bits)), 2)
        out[value] = out.get(value, 0.0) + float(p)
    return {k: v for k, v in out.items() if v > 1e-12}


def test_a_cirq_bell_circuit_runs_with_its_key_as_the_register(home):
    job = qnb.submit(bell_circuit(), shots=SHOTS, seed=3)
    counts = job.counts()
    assert set(counts) == {"00", "11"} and sum(counts.values()) == SHOTS
    assert within({int(k, 2): n for k, n in counts.items()}, {0: 0.5, 3: 0.5}, SHOTS)
    result = qnb.cirq.result(job)
    assert isinstance(result, cirq.ResultDict)
    assert result.histogram(key="m") == {int(k, 2): n for k, n in counts.items()}
    assert result.measurements["m"].shape == (SHOTS, 2)


def test_keys_of_any_name_and_bit_order_read_back_as_cirq_gives_them(home):
    q = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(
        cirq.X(q[0]), cirq.X(q[2]),
        cirq.measure(q[0], q[1], q[2], key="abc"),  # bits 1, 0, 1 in the measured order
        cirq.measure(q[1], key="q(1)"),  # not an OpenQASM identifier: Cirq writes m0
        cirq.measure(q[1], key="flipped", invert_mask=(True,)))
    job = qnb.submit(circuit, shots=50)
    result = qnb.cirq.result(job)
    assert set(result.measurements) == {"abc", "q(1)", "flipped"}
    np.testing.assert_array_equal(result.measurements["abc"], [[1, 0, 1]] * 50)
    np.testing.assert_array_equal(result.measurements["q(1)"], [[0]] * 50)
    np.testing.assert_array_equal(result.measurements["flipped"], [[1]] * 50)
    # the same as Cirq's own simulator gives for this deterministic circuit
    theirs = cirq.Simulator().run(circuit, repetitions=50)
    for key in ("abc", "q(1)", "flipped"):
        np.testing.assert_array_equal(result.measurements[key], theirs.measurements[key])


def test_a_cirq_sampler_runs_a_linspace_sweep_as_one_job(home):
    sampler = qnb.cirq.Sampler(seed=7)
    assert isinstance(sampler, cirq.Sampler)
    q = cirq.LineQubit.range(2)
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(cirq.rx(t).on(q[0]), cirq.X(q[1]) ** (t / np.pi),
                           cirq.measure(q[0], key="a"), cirq.measure(q[1], key="b"))
    sweep = cirq.Linspace("t", 0, np.pi, 7)
    before = get_store().list()[1]
    results = sampler.run_sweep(circuit, sweep, repetitions=SHOTS)
    assert get_store().list()[1] == before + 1  # ONE job for the seven points
    job = sampler.last_job
    assert job.record.primitive == "sampler" and job.qnb_status() == "DONE"
    assert len(results) == 7
    for result, resolver in zip(results, sweep, strict=True):
        assert isinstance(result, cirq.ResultDict)
        assert result.params == resolver
        for key in ("a", "b"):
            assert result.measurements[key].shape == (SHOTS, 1)
            assert within(result.histogram(key=key), exact(circuit, key, resolver), SHOTS)
    # the end points are certain: rx(0) leaves |0>, rx(pi) flips it
    assert results[0].histogram(key="a") == {0: SHOTS}
    assert results[-1].histogram(key="a") == {1: SHOTS}


def test_points_products_and_zips_keep_cirqs_order(home):
    q = cirq.LineQubit(0)
    a, b = sympy.symbols("a b")
    circuit = cirq.Circuit(cirq.ry(a).on(q), cirq.ry(b).on(q), cirq.measure(q, key="z"))
    sweeps = [cirq.Points("a", [0.0, np.pi / 2]) * cirq.Points("b", [0.0, np.pi / 4, np.pi]),
              cirq.Zip(cirq.Linspace("a", 0, 1, 3), cirq.Points("b", [0.5, 0.25, 0.0]))]
    for sweep in sweeps:
        results = qnb.cirq.Sampler(seed=2).run_sweep(circuit, sweep, repetitions=SHOTS)
        assert [r.params for r in results] == list(cirq.to_resolvers(sweep))
        for result in results:
            assert within(result.histogram(key="z"), exact(circuit, "z", result.params),
                          SHOTS)


def test_run_batch_and_run_are_one_job_each(home):
    sampler = qnb.cirq.Sampler()
    t = sympy.Symbol("t")
    q = cirq.LineQubit(0)
    swept = cirq.Circuit(cirq.rx(t).on(q), cirq.measure(q, key="r"))
    before = get_store().list()[1]
    batch = sampler.run_batch([bell_circuit(), swept],
                              [None, cirq.Points("t", [0.0, np.pi])], repetitions=[100, 40])
    assert get_store().list()[1] == before + 1
    assert [len(b) for b in batch] == [1, 2]
    assert set(batch[0][0].histogram(key="m")) <= {0, 3}
    assert sum(batch[0][0].histogram(key="m").values()) == 100
    assert batch[1][0].histogram(key="r") == {0: 40} and batch[1][1].histogram(key="r") == {1: 40}
    single = sampler.run(bell_circuit(), repetitions=10)
    assert single.measurements["m"].shape == (10, 2)


def test_global_phase_and_unmeasured_circuits_run_as_cirq_runs_them_with_no_warning(home):
    # a global phase gate changes no sample; a circuit that measures nothing gives empty
    # measurements (as cirq.Simulator does) and is not sent at all; neither warns
    import warnings

    sampler = qnb.cirq.Sampler()
    q = cirq.LineQubit(0)
    phased = cirq.Circuit(cirq.X(q), cirq.GlobalPhaseGate(1j).on(), cirq.measure(q, key="r"))
    unmeasured = cirq.Circuit(cirq.H(q))
    before = get_store().list()[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = sampler.run_batch([phased, unmeasured], repetitions=[30, 30])
        alone = sampler.run(unmeasured, repetitions=5)
    assert batch[0][0].histogram(key="r") == {1: 30}
    assert batch[1][0].measurements == {} and alone.measurements == {}
    assert alone.params == cirq.ParamResolver({})
    assert get_store().list()[1] == before + 1  # the batch's job; the unmeasured run: none


def test_cirq_refusals_name_what_is_wrong_and_write_nothing(home):
    q = cirq.LineQubit.range(2)
    before = get_store().list()[1]
    noisy = cirq.Circuit(cirq.H(q[0]), cirq.depolarize(0.1).on(q[0]), cirq.measure(q[0]))
    with pytest.raises(SubmitError, match=r"no OpenQASM form.*depolarize"):
        qnb.submit(noisy)
    t = sympy.Symbol("theta")
    open_symbol = cirq.Circuit(cirq.rx(t).on(q[0]), cirq.measure(q[0], key="m"))
    with pytest.raises(SubmitError, match=r"symbols without values \(theta\)"):
        qnb.submit(open_symbol)
    with pytest.raises(SubmitError, match="the sweep gives no value for theta"):
        qnb.cirq.Sampler().run_sweep(open_symbol, cirq.Points("other", [1.0]))
    with pytest.raises(SubmitError, match="no OpenQASM form.*depolarize"):
        qnb.cirq.Sampler().run(noisy)
    unmeasured = cirq.Circuit(cirq.H(q[0]))
    with pytest.raises(SubmitError, match="measure"):  # a circuit job needs measurements
        qnb.submit(unmeasured)
    with pytest.raises(SubmitError, match="repetitions must be a positive integer"):
        qnb.cirq.Sampler().run(bell_circuit(), repetitions=0)
    assert get_store().list()[1] == before
    # Cirq's own Sampler gives empty measurements for a circuit without them; so does qnb's
    assert qnb.cirq.Sampler().run(unmeasured, repetitions=5).measurements == {}


@pytest.fixture
def shell(home):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "qnb")
    yield ip
    InteractiveShell.clear_instance()


def test_qsubmit_cell_and_line_magics_take_a_cirq_circuit(shell):
    shell.user_ns.update(bell_circuit=bell_circuit, cirq=cirq)
    job = shell.run_cell_magic("qsubmit", "-s 300 -n cirq-bell --wait",
                               "circuit = bell_circuit()\ncircuit")
    assert job.record.name == "cirq-bell" and sum(job.counts().values()) == 300
    assert set(qnb.cirq.result(job).histogram(key="m")) <= {0, 3}
    shell.user_ns["c"] = bell_circuit()
    line = shell.run_line_magic("qsubmit", "c -s 20 --wait")
    assert set(line.counts()) <= {"00", "11"} and sum(line.counts().values()) == 20
    with pytest.raises(UsageError, match="depolarize"):
        shell.run_cell_magic("qsubmit", "", "q = cirq.LineQubit(0)\n"
                             "cirq.Circuit(cirq.depolarize(0.2).on(q), cirq.measure(q))")


def test_the_cli_submits_a_cirq_json_circuit(home, tmp_path):
    path = tmp_path / "bell.json"
    path.write_text(cirq.to_json(bell_circuit()))
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", "submit", str(path), "-s", "64",
                           "--wait", "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["status"] == "DONE" and shown["name"] == "bell"
    assert set(shown["counts"][0]) <= {"00", "11"} and sum(shown["counts"][0].values()) == 64
    bad = tmp_path / "noise.json"
    bad.write_text(cirq.to_json(cirq.Circuit(cirq.depolarize(0.1).on(cirq.LineQubit(0)))))
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", "submit", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "depolarize" in proc.stderr
