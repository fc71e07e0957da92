"""A remote job's preparation (transpiling, encoding) runs in a process forked for it, never in
the runner's own process: its value or its error comes back to the runner's hand-over, and a
process that dies before answering is reported as such, with its exit code."""

from __future__ import annotations

import json
import os

import pytest
from helpers import bell

from qnb.circuits import QPY, encode
from qnb.runner.offload import call_elsewhere, prepare


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not today")


def _raise_unpicklable() -> None:
    raise Unpicklable("the compiler refused")


def test_the_call_runs_in_another_process_and_its_value_comes_back():
    assert call_elsewhere(os.getpid) != os.getpid()
    assert call_elsewhere(divmod, 17, 5) == (3, 2)


def test_an_error_comes_back_as_raised_and_one_pickle_cannot_carry_as_its_words():
    with pytest.raises(ValueError, match="invalid literal for int"):
        call_elsewhere(int, "twelve")
    with pytest.raises(RuntimeError, match="Unpicklable: the compiler refused"):
        call_elsewhere(_raise_unpicklable)


def test_a_process_that_dies_before_answering_is_named_with_its_exit_code():
    with pytest.raises(RuntimeError, match=r"running the test call died \(exit code 3\)"):
        call_elsewhere(os._exit, 3, what="the test call")


def test_an_azure_job_is_transpiled_and_encoded_in_the_forked_process():
    """What the runner submits for an IonQ target: the circuit on IonQ's gates, as IonQ's
    JSON, made by the forked process (not this one) from the profile alone."""
    spec = {"name": "ionq-sim", "provider": "azure",
            "options": {"target": "ionq.simulator", "resource_id": "/subscriptions/0/"
                        "resourceGroups/g/providers/Microsoft.Quantum/Workspaces/w",
                        "location": "eastus"}}
    made = call_elsewhere(prepare, spec, QPY, encode([bell()]), 100, 7, {})
    assert made["shots"] == [100] and made["plan"] is None
    (circuit,) = made["inputs"]
    ionq = json.loads(circuit)
    assert ionq["qubits"] == 2 and ionq["gateset"] == "qis"
    assert {g["gate"] for g in ionq["circuit"]} <= {"h", "cnot", "rx", "ry", "rz", "x", "y", "z",
                                                    "s", "si", "t", "ti", "v", "vi", "swap"}
    wide = {**spec, "options": {**spec["options"], "max_qubits": 1}}
    with pytest.raises(ValueError, match="circuit 0 has 2 qubits; ionq.simulator takes 1"):
        call_elsewhere(prepare, wide, QPY, encode([bell()]), 100, 7, {})
