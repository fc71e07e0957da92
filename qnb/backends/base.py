"""The small interface every backend adapter implements.

A provider is built from a profile's plain spec (``{"name", "provider", "options"}``) in
whichever process needs it: the kernel asks it cheap questions (``max_qubits``), the runner's
worker processes call ``run`` for local backends, and the runner itself calls ``submit`` /
``poll`` / ``result`` / ``cancel`` for remote ones, with the retry policy declared here
(``is_transient``, ``retry_timeout``). Modules defining providers must import their SDKs
lazily, inside methods, so that listing backends stays fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ..models import JobStatus, SubmitError


class ProfileError(ValueError):
    """A profile's settings are wrong; ``field`` names the offending key."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


DEFAULT_RETRY_TIMEOUT = 900.0


@dataclass(frozen=True)
class Field:
    """A profile setting a provider accepts."""

    type: type | tuple[type, ...]
    required: bool = False


def check_optimization_level(options: dict[str, Any]) -> None:
    """The transpiler's ``optimization_level`` setting, when given, is 0 to 3."""
    level = options.get("optimization_level")
    if level is not None and level not in (0, 1, 2, 3):
        raise ProfileError("must be 0, 1, 2 or 3", "optimization_level")


def check_primitive_options(options: dict[str, Any] | None, allowed: tuple[str, ...],
                            backend: str) -> None:
    """Refuse primitive options a local backend does not know (``SubmitError``)."""
    unknown = sorted(set(options or {}) - set(allowed))
    if unknown:
        raise SubmitError(f"backend {backend!r} does not know the primitive option(s) "
                          f"{', '.join(map(repr, unknown))}; it takes: {', '.join(allowed)}")


@dataclass
class BackendInfo:
    """What ``%qbackend`` and ``GET /qnb/api/backends`` show about one profile."""

    name: str
    provider: str
    num_qubits: int | None
    simulator: bool
    reachable: bool
    detail: str | None = None
    default: bool = False
    #: the device's native gates, where the service gives them
    native_gates: list[str] | None = None
    #: the price as known (``$0.30/task + $0.08/shot``), from the profile or the service
    price: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RemoteState:
    """One poll of a remote job, normalised from the provider's own status values."""

    status: JobStatus
    provider_status: str
    queue_position: int | None = None
    estimated_start: float | None = None
    error: str | None = None


@dataclass
class Submitted:
    """What a service answered to a submission: the remote id, and what the provider needs
    to keep about the job for ``result`` (stored with the job, so it outlives the runner)."""

    remote_id: str
    state: dict[str, Any] = field(default_factory=dict)


class Provider:
    """Base class of backend adapters. Subclasses set ``fields`` and implement their half."""

    #: "local" runs in the runner's worker pool; "remote" is submitted and polled.
    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {}
    #: payload formats ``run``/``submit`` accept: "qpy" (Qiskit circuits), "sampler-pubs" and
    #: "estimator-pubs" (Qiskit primitive PUBs), "pennylane-tape"
    payload_formats: ClassVar[tuple[str, ...]] = ("qpy",)
    #: whether ``options={"mitigate": True}`` (``--mitigate``) means something here.
    supports_mitigation: ClassVar[bool] = False
    #: remote providers: whether the runner runs ``prepare`` (the CPU work of a hand-over:
    #: transpiling, encoding) in a process of its own, then ``submit_prepared`` on its value
    prepares: ClassVar[bool] = False

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec: dict[str, Any] = dict(spec)  # what rebuilds this adapter in another process
        self.name: str = spec["name"]
        self.options: dict[str, Any] = dict(spec.get("options", {}))

    # -- profile checking (kernel, config loading) --------------------------------------
    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        """Raise ``ProfileError(field=...)`` for unknown, missing or mistyped settings."""
        for key, value in options.items():
            spec = cls.fields.get(key)
            if spec is None:
                allowed = ", ".join(sorted(cls.fields)) or "none"
                raise ProfileError(f"unknown field (allowed: {allowed})", key)
            if isinstance(value, bool) and spec.type is not bool and bool not in (
                    spec.type if isinstance(spec.type, tuple) else (spec.type,)):
                raise ProfileError(f"wrong type bool, expected {_type_name(spec.type)}", key)
            if not isinstance(value, spec.type):
                raise ProfileError(
                    f"wrong type {type(value).__name__}, expected {_type_name(spec.type)}", key)
        for key, spec in cls.fields.items():
            if spec.required and key not in options:
                raise ProfileError(f"missing field {key!r}", key)

    # -- cheap questions (kernel) -------------------------------------------------------
    def max_qubits(self) -> int | None:
        """The widest circuit the backend takes, if known without a network call."""
        return None

    def describe(self) -> BackendInfo:
        return BackendInfo(self.name, type(self).provider_name(), self.max_qubits(),
                           self.simulator, True)

    @classmethod
    def provider_name(cls) -> str:
        return getattr(cls, "name_", cls.__name__)

    def check_submission(self, payload_format: str, summary: dict[str, Any],
                         run_options: dict[str, Any]) -> None:
        """Refuse, before anything is queued, a job this backend cannot run (``SubmitError``)."""
        if payload_format not in self.payload_formats:
            what = {"qpy": "Qiskit circuits", "pennylane-tape": "PennyLane QNodes/tapes",
                    "sampler-pubs": "Sampler PUBs", "estimator-pubs": "Estimator PUBs"}
            raise SubmitError(
                f"backend {self.name!r} (provider {self.provider_name()!r}) runs "
                f"{' or '.join(what.get(f, f) for f in self.payload_formats)}, not "
                f"{what.get(payload_format, payload_format)}")
        if run_options.get("mitigate") and payload_format.endswith("-pubs"):
            raise SubmitError(
                "--mitigate mitigates the counts of plain circuits; for primitive PUBs set the "
                "primitive's own options (on IBM: resilience_level, twirling, ...)")
        if run_options.get("mitigate") and not self.supports_mitigation:
            raise SubmitError(
                f"backend {self.name!r} (provider {self.provider_name()!r}) has no readout errors "
                "to mitigate; --mitigate works on noisy backends (providers 'ibm-fake', "
                "'ibm-runtime')")

    # -- local execution (worker process) -----------------------------------------------
    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        """Run the job to completion and return its JSON-able result (``{"counts": [...]}``)."""
        raise TypeError(f"provider {self.provider_name()!r} does not run locally")

    # -- remote execution (runner process) ----------------------------------------------
    def submit(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
               options: dict[str, Any]) -> Submitted:
        """Send the job to the service; its remote id (and state to keep)."""
        raise TypeError(f"provider {self.provider_name()!r} is not remote")

    def prepare(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
                options: dict[str, Any]) -> Any:
        """With ``prepares``: what ``submit_prepared`` sends (picklable), made without the
        service (a process forked for it; a refusal raised here sends nothing)."""
        raise TypeError(f"provider {self.provider_name()!r} prepares nothing apart")

    def submit_prepared(self, prepared: Any, shots: int, seed: int | None,
                        options: dict[str, Any]) -> Submitted:
        """With ``prepares``: ``submit`` of what ``prepare`` made."""
        raise TypeError(f"provider {self.provider_name()!r} prepares nothing apart")

    def poll(self, remote_id: str) -> RemoteState:
        raise TypeError(f"provider {self.provider_name()!r} is not remote")

    def result(self, remote_id: str, state: dict[str, Any]) -> dict[str, Any]:
        """The finished job's JSON-able result; ``state`` is what ``submit`` asked to keep."""
        raise TypeError(f"provider {self.provider_name()!r} is not remote")

    def cancel(self, remote_id: str) -> None:
        raise TypeError(f"provider {self.provider_name()!r} is not remote")

    def end_session(self, session_id: str) -> None:
        """The qnb session ``session_id`` has ended and all its jobs are with the service:
        close the service's own session, if the provider opened one (runner process)."""

    # -- the retry policy of remote calls -------------------------------------------------
    def is_transient(self, exc: BaseException) -> bool:
        """Whether a failed call is worth retrying (network trouble) rather than final."""
        return isinstance(exc, (ConnectionError, TimeoutError))

    @property
    def retry_timeout(self) -> float:
        """Seconds of failing calls about one job before the runner gives up on it (the
        profile's ``retry_timeout``, default 900)."""
        return float(self.options.get("retry_timeout", DEFAULT_RETRY_TIMEOUT))


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


def import_factory(target: str) -> Any:
    """The callable a ``"module:attribute"`` setting names (a test's stand-in client or
    service factory, given in a profile as ``client_factory``)."""
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def check_remote_options(options: dict[str, Any], factory_key: str) -> None:
    """What every cloud profile may set alike: a stand-in client's factory (tests), the
    transpiler's level, the retry and describe timeouts, and a qubit bound."""
    factory = options.get(factory_key)
    if factory is not None and (":" not in factory or not all(factory.partition(":")[::2])):
        raise ProfileError("must be 'package.module:function'", factory_key)
    check_optimization_level(options)
    for key in ("retry_timeout", "describe_timeout"):
        if key in options and options[key] <= 0:
            raise ProfileError("must be a positive number of seconds", key)
    if options.get("max_qubits", 1) <= 0:
        raise ProfileError("must be a positive number of qubits", "max_qubits")
