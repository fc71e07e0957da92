"""qnb.Sampler and qnb.Estimator as drop-in Qiskit V2 primitives, PUBs in ``qnb.submit`` and
``%%qsubmit``, and sessions: run by a real runner on Aer, checked against Aer's own primitives
run in-process with the same seeds and against exact statevector values."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import isolated_home
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.primitives import (
    BaseEstimatorV2,
    BasePrimitiveJob,
    BaseSamplerV2,
    PrimitiveResult,
    StatevectorEstimator,
)
from qiskit.providers import JobStatus as QiskitJobStatus
from qiskit.quantum_info import SparsePauliOp

import qnb
from qnb.models import JobStatus, SubmitError
from qnb.store import get_store

CONFIG = """
[runner]
workers = 2
[backends.manila]
provider = "ibm-fake"
device = "FakeManilaV2"
[backends.seeded]
provider = "aer"
primitive_options = { seed = 11, default_precision = 0.02 }
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME and one warm runner for the module."""
    with isolated_home(tmp_path_factory.mktemp("primitives"), CONFIG) as home:
        yield home


def ansatz() -> QuantumCircuit:
    theta = ParameterVector("t", 4)
    qc = QuantumCircuit(2)
    qc.ry(theta[0], 0)
    qc.ry(theta[1], 1)
    qc.cx(0, 1)
    qc.ry(theta[2], 0)
    qc.rx(theta[3], 1)
    return qc


HAMILTONIAN = SparsePauliOp(["ZZ", "IX", "XI", "YY"], [1.0, 0.4, 0.4, 0.2])


def sweep(points: int = 12, seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(points, 4))


def test_qnb_primitives_are_qiskit_v2_primitives_and_jobs(home):
    assert isinstance(qnb.Sampler(), BaseSamplerV2)
    assert isinstance(qnb.Estimator(), BaseEstimatorV2)
    job = qnb.Estimator(options={"seed": 3}).run([(ansatz(), HAMILTONIAN, sweep(3))])
    assert isinstance(job, BasePrimitiveJob) and isinstance(job, qnb.Job)
    assert job.job_id() == job.id
    result = job.result(timeout=120)
    assert isinstance(result, PrimitiveResult)
    assert job.done() and not job.cancelled()
    assert job.status() is QiskitJobStatus.DONE  # BasePrimitiveJob's status; qnb's beside it
    assert job.qnb_status() is JobStatus.DONE
    assert job.record.primitive == "estimator"


def test_estimator_equals_aer_in_process_and_the_exact_values(home):
    from qiskit_aer.primitives import EstimatorV2

    values = sweep(12)
    pub = (ansatz(), HAMILTONIAN, values)
    exact = StatevectorEstimator().run([pub]).result()[0].data.evs
    got = qnb.Estimator().run([pub]).result(timeout=120)[0].data
    assert got.evs.shape == (12,)
    np.testing.assert_allclose(got.evs, exact, atol=1e-9)  # no precision asked: exact
    noisy = qnb.Estimator(options={"seed": 11}).run([pub], precision=0.02).result(120)[0].data
    aer = EstimatorV2(options={"run_options": {"seed_simulator": 11}}).run(
        [pub], precision=0.02).result()[0].data
    np.testing.assert_allclose(noisy.evs, aer.evs)  # the same seed: the same draws
    np.testing.assert_allclose(noisy.stds, 0.02)
    assert np.all(np.abs(noisy.evs - exact) < 5 * noisy.stds)  # within the reported errors


def _pub_cases():
    """PUBs of every shape: one point, a sweep, observables broadcast against a sweep, no
    parameters, and precision with a seed (the same draws)."""
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    observables = [[SparsePauliOp("ZZ")], [SparsePauliOp(["XX", "IZ"], [0.5, -1.0])]]
    return [
        ("one point", [(ansatz(), HAMILTONIAN, sweep(1)[0])], None, None),
        ("a sweep", [(ansatz(), HAMILTONIAN, sweep(7))], None, None),
        ("broadcast", [(ansatz(), observables, sweep(3))], None, None),
        ("no parameters", [(bell, [SparsePauliOp("ZZ"), SparsePauliOp("XI")])], None, None),
        ("two pubs", [(bell, SparsePauliOp("ZZ")), (ansatz(), HAMILTONIAN, sweep(2))], None,
         None),
        ("precision", [(ansatz(), HAMILTONIAN, sweep(4))], 0.05, 17),
    ]


@pytest.mark.parametrize("case", _pub_cases(), ids=lambda c: c[0])
def test_the_workers_estimator_gives_what_aers_own_gives(case):
    """The worker's Estimator builds each circuit with its saves once and reuses it: every
    value, draw and metadata is still Aer's ``EstimatorV2``'s, run after run."""
    from qiskit_aer.primitives import EstimatorV2

    from qnb.backends.aer_estimator import ReusingEstimatorV2

    _, pubs, precision, seed = case
    options = {"run_options": {"seed_simulator": seed}} if seed is not None else {}
    before = [pub[0].copy() for pub in pubs]
    ours = ReusingEstimatorV2(options=options)
    for step in range(3):  # the second and third runs reuse the prepared circuits
        values = [pub if len(pub) < 3 else (*pub[:2], pub[2] + step) for pub in pubs]
        run = ours.run_here if step % 2 else (  # the worker's way, and Qiskit's
            lambda v, precision: ours.run(v, precision=precision).result())
        got = run(values, precision=precision)
        want = EstimatorV2(options=options).run(values, precision=precision).result()
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert g.data.evs.shape == w.data.evs.shape
            np.testing.assert_allclose(g.data.evs, w.data.evs, rtol=0, atol=1e-12)
            np.testing.assert_array_equal(g.data.stds, w.data.stds)
            assert g.metadata["target_precision"] == w.metadata["target_precision"]
            assert g.metadata["circuit_metadata"] == w.metadata["circuit_metadata"]
            assert g.metadata["simulator_metadata"].keys() == w.metadata["simulator_metadata"].keys()
    # the PUBs' own circuits were not touched (no saves appended to them)
    assert [pub[0] for pub in pubs] == before


def test_a_prepared_circuit_is_reused_only_for_the_same_circuit_and_paulis():
    from qnb.backends.aer_estimator import prepared

    qc = ansatz()
    first = prepared(qc, frozenset({"ZZ", "XI"}))
    assert prepared(qc, frozenset({"XI", "ZZ"})) is first  # the same circuit and Paulis
    assert [i.operation.name for i in first.data[-2:]] == ["save_expval", "save_expval"]
    assert sorted(i.operation.label for i in first.data[-2:]) == ["XI", "ZZ"]
    assert prepared(qc, frozenset({"ZZ"})) is not first  # other Paulis
    assert prepared(ansatz(), frozenset({"ZZ", "XI"})) is not first  # an equal, other circuit
    assert len(qc.data) == 5  # the original keeps its five gates


def test_sampler_sweep_counts_per_point_match_aer_and_the_probabilities(home):
    from qiskit.quantum_info import Statevector
    from qiskit_aer.primitives import SamplerV2

    from qnb.backends.simulator import simulator, transpile_pubs
    from qnb.primitives.pubs import coerce

    measured = ansatz()
    measured.measure_all()
    values = sweep(6)
    job = qnb.Sampler(options={"seed": 7}).run([(measured, values)], shots=4000)
    result = job.result(timeout=120)
    # Aer's own SamplerV2 on the circuits as qnb's worker transpiles them, same seed
    isa = transpile_pubs(simulator({}), "sampler",
                         coerce("sampler", [(measured, values)], shots=4000), 7, None)
    reference = SamplerV2(seed=7).run(isa).result()
    for i in range(6):
        counts = result[0].data.meas.get_counts(i)
        assert counts == reference[0].data.meas.get_counts(i)
        probs = Statevector(ansatz().assign_parameters(values[i])).probabilities_dict()
        for bits, p in probs.items():
            assert abs(counts.get(bits, 0) / 4000 - p) < 5 * np.sqrt(p * (1 - p) / 4000) + 1e-3
    # job.counts(i): PUB i's counts over all its points
    assert sum(job.counts(0).values()) == 6 * 4000


def test_a_noisy_device_model_runs_pubs_with_its_noise(home):
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qnb.backends.simulator import transpile_pubs
    from qnb.primitives.pubs import coerce

    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    pub = (bell, SparsePauliOp("ZZ"))
    got = qnb.Estimator("manila", options={"seed": 1}).run([pub]).result(180)[0].data.evs
    noisy = AerSimulator.from_backend(FakeManilaV2())
    isa = transpile_pubs(noisy, "estimator", coerce("estimator", [pub]), 1, None)
    aer = EstimatorV2.from_backend(noisy, options={"run_options": {"seed_simulator": 1}})
    assert float(got) == pytest.approx(float(aer.run(isa).result()[0].data.evs), abs=1e-9)
    assert 0.8 < float(got) < 0.999  # the device's noise, not the ideal 1


def test_primitive_options_come_from_the_profile_then_the_job_and_are_recorded(home):
    pub = (ansatz(), HAMILTONIAN, sweep(3))
    a = qnb.Estimator("seeded").run([pub])
    b = qnb.Estimator("seeded").run([pub])
    np.testing.assert_array_equal(a.result(120)[0].data.evs, b.result(120)[0].data.evs)
    np.testing.assert_allclose(a.result()[0].data.stds, 0.02)  # the profile's precision
    assert a.record.options["run"]["primitive_options"] == {"seed": 11, "default_precision": 0.02}
    c = qnb.Estimator("seeded", options={"seed": 12}).run([pub])
    assert c.record.seed == 12 and "seed" not in c.record.options["run"]["primitive_options"]
    assert not np.array_equal(c.result(120)[0].data.evs, a.result()[0].data.evs)


def test_scipy_minimize_drives_a_vqe_through_qnb_estimator(home):
    from scipy.optimize import minimize

    est = qnb.Estimator()
    qc = ansatz()
    calls = []

    def energy(x):
        job = est.run([(qc, HAMILTONIAN, x)])
        calls.append(job.id)
        return float(job.result()[0].data.evs)

    res = minimize(energy, x0=np.full(4, 0.3), method="COBYLA", options={"maxiter": 60})
    ground = float(np.linalg.eigvalsh(HAMILTONIAN.to_matrix()).min())
    assert res.fun == pytest.approx(ground, abs=0.05)
    assert len(calls) == res.nfev  # every call recorded as a job
    assert {get_store().get(j).primitive for j in calls} == {"estimator"}


def test_qiskit_machine_learning_networks_run_on_qnb_estimator(home):
    from qiskit.primitives import StatevectorEstimator
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
    from qiskit_machine_learning.neural_networks import EstimatorQNN

    x, w = Parameter("x"), Parameter("w")
    qc = QuantumCircuit(1)
    qc.ry(x, 0)
    qc.rx(w, 0)

    def network(estimator):
        return EstimatorQNN(circuit=qc, observables=SparsePauliOp("Z"), input_params=[x],
                            weight_params=[w], estimator=estimator,
                            gradient=ParamShiftEstimatorGradient(estimator))

    inputs, weights = np.array([[0.1], [0.5], [1.2]]), np.array([0.3])
    before = len(qnb.jobs(limit=1000))
    ours, exact = network(qnb.Estimator()), network(StatevectorEstimator())
    # the network asks for precision 1/64: Aer draws values within it of the exact ones
    np.testing.assert_allclose(ours.forward(inputs, weights), exact.forward(inputs, weights),
                               atol=5 / 64)
    np.testing.assert_allclose(ours.backward(inputs, weights)[1],
                               exact.backward(inputs, weights)[1], atol=5 / 64)
    assert len(qnb.jobs(limit=1000)) - before == 2  # the forward pass and the gradient


@pytest.mark.parametrize(("pubs", "kw", "words"), [
    ([(QuantumCircuit(2), SparsePauliOp("ZZZ"))], {"primitive": "estimator"},
     "estimator PUB: The number of qubits of the circuit (2) does not match"),
    ([(ansatz(), HAMILTONIAN, np.zeros((3, 2)))], {"primitive": "estimator"}, "estimator PUB"),
    ([(ansatz(), HAMILTONIAN)], {"primitive": "estimator"},
     "does not match the number of parameters (4)"),
    ([(ansatz(), HAMILTONIAN, np.zeros(4))], {"primitive": "estimator", "precision": -0.1},
     "precision must be a non-negative number, got -0.1"),
    ([(QuantumCircuit(1, 1), None, 0)], {"primitive": "sampler"}, "sampler PUB"),
    ([(QuantumCircuit(2), SparsePauliOp("ZZ")), (ansatz(), np.zeros(4))], {},
     "mix Sampler PUBs"),
    (QuantumCircuit(1, 1), {"primitive": "estimator"}, "an Estimator job needs observables"),
    ([(ansatz(), HAMILTONIAN, np.zeros(4))], {"primitive": "estimator", "backend": "nowhere"},
     "unknown backend 'nowhere'"),
])
def test_bad_pubs_are_refused_with_qiskits_reason_and_write_nothing(home, pubs, kw, words):
    before = get_store().list()[1]
    with pytest.raises(SubmitError) as err:
        qnb.submit(pubs, **kw)
    assert words in str(err.value)
    assert get_store().list()[1] == before


def test_bad_sessions_and_shots_are_refused(home):
    with pytest.raises(SubmitError, match="unknown backend 'nowhere'"):
        qnb.session("nowhere")
    with pytest.raises(SubmitError, match="mode must be 'session' or 'batch'"):
        qnb.session(mode="dedicated")
    measured = QuantumCircuit(1, 1)
    measured.measure(0, 0)
    with pytest.raises(SubmitError, match="shots must be a positive integer"):
        qnb.Sampler().run([(measured,)], shots=0)


def test_a_primitive_result_reads_back_after_a_restart(home):
    from qnb.runner.control import stop_runner
    from qnb.store import forget_store

    job = qnb.Estimator().run([(ansatz(), HAMILTONIAN, sweep(4))])
    evs = job.result(120)[0].data.evs
    stop_runner(home)
    forget_store(home)
    again = qnb.get_job(job.id)
    assert isinstance(again, qnb.PrimitiveJob)
    np.testing.assert_array_equal(again.result()[0].data.evs, evs)


def test_sessions_group_jobs_and_cancelling_one_cancels_its_queued_jobs(home):
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    with qnb.session() as s:
        a = qnb.submit(bell, shots=10)
        b = qnb.Estimator().run([(ansatz(), HAMILTONIAN, sweep(2))])
    outside = qnb.submit(bell, shots=10)
    assert a.record.session == b.record.session == s.id and outside.record.session is None
    assert {j.id for j in qnb.jobs(session=s.id)} == {a.id, b.id}
    assert get_store().session_info(s.id)["closed_at"] is not None
    with qnb.session(mode="batch") as batch:
        big = QuantumCircuit(22)
        big.h(range(22))
        big.measure_all()
        jobs = [qnb.submit(big, shots=20_000) for _ in range(4)]
        assert batch.cancel() == 4
    for job in jobs:
        assert job.wait(120) is JobStatus.CANCELLED


@pytest.fixture
def shell(home):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "qnb")
    yield ip
    InteractiveShell.clear_instance()


def run_cell(shell, line: str, cell: str):
    return shell.run_cell_magic("qsubmit", line, cell)


def test_qsubmit_takes_pubs_and_forced_primitives(shell):
    shell.user_ns.update(ansatz=ansatz, H=HAMILTONIAN, np=np, QuantumCircuit=QuantumCircuit)
    est = run_cell(shell, "--precision 0.05 --seed 4 -n energy",
                   "qc = ansatz()\n(qc, H, np.zeros((3, 4)))")
    assert est.record.primitive == "estimator" and est.record.name == "energy"
    assert est.result(120)[0].data.stds.tolist() == [0.05] * 3
    sam = run_cell(shell, "-s 100", "qc = ansatz(); qc.measure_all()\n(qc, np.zeros((2, 4)))")
    assert sam.record.primitive == "sampler" and sum(sam.counts(0).values()) == 200
    forced = run_cell(shell, "--primitive sampler -s 50",
                      "qc = QuantumCircuit(1, 1); qc.x(0); qc.measure(0, 0)\nqc")
    assert forced.record.primitive == "sampler"
    assert forced.result(120)[0].data.c.get_counts() == {"1": 50}
    with pytest.raises(UsageError, match="needs observables"):
        run_cell(shell, "--primitive estimator", "QuantumCircuit(1, 1)")
    with pytest.raises(UsageError, match="precision must be a non-negative number"):
        run_cell(shell, "--precision=-0.5", "(ansatz(), H, np.zeros(4))")
    with pytest.raises(UsageError, match="does not know the primitive option"):
        run_cell(shell, "--option shots_per_point=3", "(ansatz(), H, np.zeros(4))")


def test_qsession_magic_groups_the_kernels_jobs(shell):
    made = shell.run_line_magic("qsession", "aer")
    shell.user_ns.update(ansatz=ansatz, H=HAMILTONIAN, np=np)
    job = run_cell(shell, "", "(ansatz(), H, np.zeros(4))")
    assert job.record.session == made.id
    shell.run_line_magic("qsession", "--close")
    after = run_cell(shell, "", "(ansatz(), H, np.zeros(4))")
    assert after.record.session is None
    assert get_store().session_info(made.id)["closed_at"] is not None
    with pytest.raises(UsageError, match="unknown backend"):
        shell.run_line_magic("qsession", "nowhere")


def test_rest_json_of_primitive_jobs(home):
    from qnb.server.service import JobService

    est = qnb.Estimator().run([(ansatz(), HAMILTONIAN, sweep(3))])
    est.wait(120)
    data = JobService(home).get_job(est.id)
    assert data["primitive"] == "estimator"
    assert data["pubs"][0]["shape"] == [3] and len(data["pubs"][0]["evs"]) == 3
    assert data["pubs"][0]["stds"] == [0.0, 0.0, 0.0]
    measured = ansatz()
    measured.measure_all()
    sam = qnb.Sampler().run([(measured, sweep(2))], shots=64)
    sam.wait(120)
    pubs = JobService(home).get_job(sam.id)["pubs"]
    assert pubs[0]["shape"] == [2] and [sum(c.values()) for c in pubs[0]["counts"]] == [64, 64]
