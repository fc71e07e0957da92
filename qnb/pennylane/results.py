"""PennyLane results (nested tuples of numbers, arrays and counts dicts) as JSON and back, so
that a job's result stays readable in the store, REST and the sidebar, and reads back as
exactly what the device returns: tuples stay tuples, complex and integer arrays keep their
type, and counts keep their keys (bitstrings, or eigenvalues when counting an observable)."""

from __future__ import annotations

from typing import Any

import numpy as np


def encode(value: Any) -> Any:
    """A JSON-able form of a PennyLane result."""
    if isinstance(value, str):  # np.str_ too: counts' bitstrings
        return str(value)
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, (np.ndarray, np.generic, complex)) or hasattr(value, "numpy"):
        arr = np.asarray(value)
        out: dict[str, Any] = {"dtype": arr.dtype.str, "shape": list(arr.shape),
                               "re": arr.real.ravel().tolist()}
        if np.iscomplexobj(arr):
            out["im"] = arr.imag.ravel().tolist()
        if isinstance(value, (np.generic, complex)):
            out["scalar"] = True  # np.float64(...), not a 0-d array
        return {"array": out}
    return value  # str, int, float, bool, None


def decode(value: Any) -> Any:
    """The PennyLane result ``encode`` was given."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "tuple" in value:
        return tuple(decode(v) for v in value["tuple"])
    if "dict" in value:
        return {decode(k): decode(v) for k, v in value["dict"]}
    arr = value["array"]
    data = np.asarray(arr["re"], dtype=float)
    if "im" in arr:
        data = data + 1j * np.asarray(arr["im"], dtype=float)
    out = data.astype(np.dtype(arr["dtype"])).reshape(arr["shape"])
    return out[()] if arr.get("scalar") else out
