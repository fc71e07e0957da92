"""Stage plugins load when a pass manager asks for them: a simulator job no longer imports
qiskit-ibm-runtime (a second of every worker's start), and the circuits it runs are the ones
Qiskit's own transpile gives."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter (its own ``sys.modules``); what it printed."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_simulator_job_imports_no_other_transpiler_plugin():
    out = run_fresh("""
        import sys
        from qnb.backends import simulator
        from qnb.runner.worker import warm
        warm()
        from qiskit import QuantumCircuit
        qc = QuantumCircuit(3)
        qc.h(0); qc.cx(0, 1); qc.cx(1, 2); qc.measure_all()
        for level in (0, 1, 2, 3):
            simulator.run_circuits(simulator.simulator({}), [qc], shots=10, seed=1,
                                   optimization_level=level)
        print("qiskit_ibm_runtime" in sys.modules)
    """)
    assert out == "False"


def test_lazy_plugins_transpile_exactly_as_qiskit_does():
    out = run_fresh("""
        from qiskit import QuantumCircuit, transpile
        from qiskit.circuit.library import efficient_su2
        from qiskit_ibm_runtime.fake_provider import FakeManilaV2
        qc = efficient_su2(5, reps=2).decompose()
        qc = qc.assign_parameters([0.1 * i for i in range(qc.num_parameters)])
        qc.measure_all()
        device = FakeManilaV2()
        eager = [transpile(qc, device, optimization_level=level, seed_transpiler=7)
                 for level in (1, 2, 3)]
        from qnb.backends import stage_plugins
        assert stage_plugins.install()
        lazy = [transpile(qc, device, optimization_level=level, seed_transpiler=7)
                for level in (1, 2, 3)]
        print(all(a == b for a, b in zip(eager, lazy)))
    """)
    assert out == "True"


def test_other_plugins_still_load_by_name_and_unknown_names_are_refused():
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit.transpiler.exceptions import TranspilerError
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qnb.backends import stage_plugins

    assert stage_plugins.install()
    target = FakeManilaV2().target
    pm = generate_preset_pass_manager(1, target=target, translation_method="ibm_backend")
    assert pm.translation is not None  # qiskit-ibm-runtime's plugin, found by its name
    with pytest.raises(TranspilerError, match="Invalid plugin name no-such-router"):
        generate_preset_pass_manager(1, target=target, routing_method="no-such-router")
