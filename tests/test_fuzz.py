"""Hostile and malformed OpenQASM: only clean SubmitErrors, never a crash or a half-written job."""

from __future__ import annotations

import pytest
from circuits import qasm_seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnb.circuits import check_circuits
from qnb.inputs import normalize
from qnb.models import SubmitError

QASM3 = ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
         'h q[0];\ncx q[0], q[1];\nc = measure q;\n')


def seeds() -> list[str]:
    """Real programs to mutate (MQT Bench's, and QASMBench's where it is there) and QASM3."""
    return [*qasm_seeds(4000), QASM3]


def parse_or_refuse(text: str) -> None:
    try:
        _kind, circuits = normalize(text)
        check_circuits(circuits, 30, "aer")
    except SubmitError as exc:
        assert str(exc), "an error must say what was wrong"


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(seeds()))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if op == "delete":
            j = draw(st.integers(i, min(len(text), i + 20)))
            text = text[:i] + text[j:]
        elif op == "insert":
            pieces = draw(st.lists(st.sampled_from(
                [*'q[]{}();,->=*/+ 0123456789."\n', "pi", "gate ", "measure ", "qreg ", "creg ",
                 "include ", "if(", "U("]),
                max_size=12))
            text = text[:i] + "".join(pieces) + text[i:]
        else:
            j = draw(st.integers(i, min(len(text), i + 40)))
            text = text[:j] + text[i:j] + text[j:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_programs_parse_or_are_refused_cleanly(text):
    parse_or_refuse(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300).map(lambda t: "OPENQASM 2.0;\n" + t))
def test_arbitrary_text_after_the_header_is_refused_cleanly(text):
    parse_or_refuse(text)


@pytest.mark.parametrize("program", [
    'OPENQASM 2.0;\ninclude "/etc/passwd";\nqreg q[1];\n',
    'OPENQASM 2.0;\ninclude "../../../../etc/shadow";\n',
    "OPENQASM 2.0;\nqreg q[99999999999];\n",
    "OPENQASM 3.0;\nqubit[2] q;\nextern f(int) -> int;\n",
    'OPENQASM 2.0;\ngate g a { g a; }\nqreg q[1];\ng q[0];\n',
    "OPENQASM 2.0;\n" + "qreg q[1];\n" + "x q[0];\n" * 10 + "measure q[0] -> c[0];\n",
])
def test_hostile_programs_are_refused_without_touching_anything(program):
    with pytest.raises(SubmitError):
        _kind, circuits = normalize(program)
        check_circuits(circuits, 30, "aer")


@pytest.mark.parametrize("path", ["/etc/hostname", "/etc/passwd", "../../etc/hostname"])
def test_includes_never_read_files(path):
    for version, lib in (("2", "qelib1.inc"), ("3", "stdgates.inc")):
        with pytest.raises(SubmitError) as err:
            normalize(f'OPENQASM {version}.0;\ninclude "{path}";\nqreg q[1];\n')
        # exactly this message: nothing read from the file can be in it
        assert str(err.value) == (f"OpenQASM {version} error at line 2: include {path!r} is not "
                                  f"allowed (qnb reads no files; allowed: {lib})")


def test_a_rejected_program_writes_no_job(qnb_home, store):
    import qnb

    for text in ["OPENQASM 2.0;\nqreg q[2];\nh q[0];\n", "OPENQASM 2.0;\nnonsense;\n"]:
        with pytest.raises(SubmitError):
            qnb.submit(text)
    assert store.list(limit=1)[1] == 0
