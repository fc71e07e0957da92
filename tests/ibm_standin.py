"""A stand-in for the IBM Quantum cloud service, which tests cannot reach.

Only the network is replaced: ``StandinService`` plays ``QiskitRuntimeService`` (``backend``,
``job``, ``_run``) and ``StandinClient`` plays its REST client. Everything above them is
qiskit-ibm-runtime's own code: a real ``IBMBackend`` (built from a fake device's configuration
and properties), the real ``SamplerV2``, and real ``RuntimeJobV2`` objects, which turn the API's
raw states (Queued, Running, Completed, Failed, Cancelled) into the status strings qnb sees and
raise the real exceptions (``RequestsApiError``, ``IBMNotAuthorizedError``,
``RuntimeJobFailureError``, ``RuntimeInvalidStateError``...). Results are real: the submitted
pubs run on the fake device's noisy simulator and travel back as RuntimeEncoder JSON.

The service keeps its jobs in files under ``$QNB_IBM_STANDIN_DIR`` (default
``$QNB_HOME/ibm-standin``), so they outlive a runner restart, and reads ``scenario.json``
there on every call, so a test can change its behaviour while the runner follows jobs:

- ``queue_seconds``, ``run_seconds``: how long a new job queues and runs;
- ``queue_position``: the position a new job starts at (it falls as the job waits);
- ``fail``: a reason; new jobs then end Failed with it;
- ``outage_until`` (epoch seconds) with ``outage_status`` (-1: connection refused, or an HTTP
  code such as 503): every job call fails so until then; ``outage_calls``: the next N job
  calls fail so;
- ``results_outage_until``: fetching results answers 502 until then (status calls work);
- ``unauthorized``: every job call answers 401;
- ``devices``: ``{backend name: fake device class}`` (default ``{"ibm_standin": "FakeManilaV2"}``).

Profiles select it with ``service_factory = "ibm_standin:make_service"`` (the tests' folder
must be on the runner's ``PYTHONPATH``).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_ENV = "QNB_IBM_STANDIN_DIR"
DEFAULTS = {"queue_seconds": 1.0, "run_seconds": 0.5, "queue_position": 5, "fail": None,
            "outage_until": 0, "outage_calls": 0, "outage_status": -1,
            "results_outage_until": 0,
            "unauthorized": False,
            "devices": {"ibm_standin": "FakeManilaV2"}}
_lock = threading.Lock()


def state_dir() -> Path:
    path = Path(os.environ.get(STATE_ENV) or Path(os.environ["QNB_HOME"]) / "ibm-standin")
    (path / "jobs").mkdir(parents=True, exist_ok=True)
    return path


def scenario() -> dict[str, Any]:
    try:
        data = json.loads((state_dir() / "scenario.json").read_text())
    except (OSError, ValueError):
        data = {}
    return {**DEFAULTS, **data}


def reset(**changes: Any) -> None:
    """Back to the defaults (with ``changes``), forgetting earlier scenario changes."""
    _atomic_write(state_dir() / "scenario.json", json.dumps(changes))


def set_scenario(**changes: Any) -> None:
    """Change how the stand-in behaves from now on (tests call this)."""
    data = {k: v for k, v in scenario().items() if k in changes or k in _saved_keys()}
    data.update(changes)
    _atomic_write(state_dir() / "scenario.json", json.dumps(data))


def _saved_keys() -> set[str]:
    try:
        return set(json.loads((state_dir() / "scenario.json").read_text()))
    except (OSError, ValueError):
        return set()


def calls() -> list[str]:
    """Every call the service answered or refused, as ``"what job_id"`` lines."""
    try:
        return (state_dir() / "calls.log").read_text().splitlines()
    except OSError:
        return []


def _take_outage_call() -> bool:
    """Use up one of the ``outage_calls`` (one process, the runner, makes the calls)."""
    with _lock:
        sc = scenario()
        if sc["outage_calls"] <= 0:
            return False
        data = json.loads((state_dir() / "scenario.json").read_text())
        data["outage_calls"] = sc["outage_calls"] - 1
        _atomic_write(state_dir() / "scenario.json", json.dumps(data))
        return True


def _record(what: str) -> None:
    with _lock, open(state_dir() / "calls.log", "a") as fh:
        fh.write(what + "\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def make_service(settings: dict[str, Any]) -> StandinService:
    """What ``service_factory`` calls. Like ``QiskitRuntimeService()``, it finds credentials in
    the saved account or the ``QISKIT_IBM_*`` variables, and fails without them."""
    from qiskit_ibm_runtime.accounts import AccountManager

    account = AccountManager.get(name=settings.get("account"), channel=settings.get("channel"))
    return StandinService(account, settings)


class StandinClient:
    """The REST API: program_run, job_get, job_results, job_cancel, job_metadata, backends."""

    def __init__(self, account: Any) -> None:
        self._token = account.token  # held like the real client holds it; never written
        self._instance = account.instance

    # -- network trouble ------------------------------------------------------------------
    def _network(self, what: str, job_id: str = "") -> dict[str, Any]:
        import requests
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError
        from qiskit_ibm_runtime.exceptions import IBMNotAuthorizedError

        sc = scenario()
        url = f"https://quantum.cloud.ibm.com/api/v1/jobs/{job_id}"
        if sc["unauthorized"]:
            _record(f"refused-401 {what} {job_id}")
            raise IBMNotAuthorizedError(f"401 Client Error: Unauthorized for url: {url}. "
                                        "Unable to authenticate, Error code: 1001.")
        if time.time() < sc["outage_until"] or (sc["outage_calls"] > 0 and _take_outage_call()):
            _record(f"refused-network {what} {job_id}")
            code = int(sc["outage_status"])
            if code == -1:
                cause = requests.exceptions.ConnectionError(
                    "HTTPSConnectionPool(host='quantum.cloud.ibm.com', port=443): Max retries "
                    f"exceeded with url: /api/v1/jobs/{job_id} (Caused by NewConnectionError('"
                    "<urllib3.connection.HTTPSConnection object>: Failed to establish a new "
                    "connection: [Errno 111] Connection refused'))")
                raise RequestsApiError(str(cause), -1) from cause
            raise RequestsApiError(f"{code} Server Error: Service Unavailable for url: {url}",
                                   code)
        _record(f"{what} {job_id}")
        return sc

    # -- jobs -----------------------------------------------------------------------------
    def _path(self, job_id: str) -> Path:
        return state_dir() / "jobs" / f"{job_id}.json"

    def _load(self, job_id: str) -> dict[str, Any]:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        try:
            return json.loads(self._path(job_id).read_text())
        except FileNotFoundError:
            raise RequestsApiError(f"404 Client Error: Not Found for url: "
                                   f"https://quantum.cloud.ibm.com/api/v1/jobs/{job_id}",
                                   404) from None

    def program_run(self, program_id: str, backend_name: str | None, params: dict,
                    **kwargs: Any) -> dict[str, Any]:
        from qiskit_ibm_runtime.utils.json import RuntimeEncoder

        sc = self._network("program_run")
        job_id = "d" + uuid.uuid4().hex[:19]
        record = {"id": job_id, "backend": backend_name, "program": program_id,
                  "created": time.time(), "queue_seconds": float(sc["queue_seconds"]),
                  "run_seconds": float(sc["run_seconds"]), "fail": sc["fail"],
                  "queue_position": int(sc["queue_position"]), "cancelled": None,
                  "params": json.dumps(params, cls=RuntimeEncoder)}
        _atomic_write(self._path(job_id), json.dumps(record))
        return {"id": job_id, "backend": backend_name}

    def _state(self, rec: dict[str, Any]) -> str:
        now = time.time()
        start = rec["created"] + rec["queue_seconds"]
        if rec["cancelled"] is not None:
            return "Cancelled"
        if now < start:
            return "Queued"
        if now < start + rec["run_seconds"]:
            return "Running"
        return "Failed" if rec["fail"] else "Completed"

    def job_get(self, job_id: str, exclude_params: bool = True) -> dict[str, Any]:
        self._network("job_get", job_id)
        rec = self._load(job_id)
        status = self._state(rec)
        state: dict[str, Any] = {"status": status}
        if status == "Failed":
            state.update(reason=rec["fail"], reasonCode=1517)
        return {"id": job_id, "backend": rec["backend"], "state": state, "status": status,
                "program": {"id": rec["program"]}, "created": _iso(rec["created"]),
                "runtime": "", "tags": [], "session_id": None, "private": False}

    def job_metadata(self, job_id: str) -> dict[str, Any]:
        self._network("job_metadata", job_id)
        rec = self._load(job_id)
        start = rec["created"] + rec["queue_seconds"]
        end = start + rec["run_seconds"]
        status = self._state(rec)
        data: dict[str, Any] = {
            "timestamps": {"created": _iso(rec["created"]),
                           "running": _iso(start) if status != "Queued" else None,
                           "finished": _iso(end) if status in ("Completed", "Failed") else None},
            "usage": {"quantum_seconds": 0, "seconds": 0},
        }
        if status == "Queued":
            left = max(0.0, start - time.time()) / max(rec["queue_seconds"], 1e-9)
            data.update(estimated_start_time=_iso(start), estimated_completion_time=_iso(end),
                        position_in_queue=max(1, math.ceil(rec["queue_position"] * left)))
        return data

    def job_results(self, job_id: str) -> str:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        sc = self._network("job_results", job_id)
        if time.time() < sc["results_outage_until"]:
            raise RequestsApiError("502 Server Error: Bad Gateway for url: https://quantum.cloud."
                                   f"ibm.com/api/v1/jobs/{job_id}/results", 502)
        rec = self._load(job_id)
        if self._state(rec) == "Failed":
            return f"Traceback (most recent call last):\nRuntimeError: {rec['fail']}"
        cached = state_dir() / "jobs" / f"{job_id}.result.json"
        if cached.exists():
            return cached.read_text()
        text = self._simulate(rec)
        _atomic_write(cached, text)
        return text

    def _simulate(self, rec: dict[str, Any]) -> str:
        from qiskit.primitives import BackendSamplerV2
        from qiskit_ibm_runtime.utils.json import RuntimeDecoder, RuntimeEncoder

        params = json.loads(rec["params"], cls=RuntimeDecoder)
        pubs = [tuple(p) for p in params["pubs"]]
        device = _fake_device(rec["backend"])
        result = BackendSamplerV2(backend=device, options={"seed_simulator": 1234}).run(
            pubs).result()
        return json.dumps(result, cls=RuntimeEncoder)

    def job_cancel(self, job_id: str) -> None:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        self._network("job_cancel", job_id)
        rec = self._load(job_id)
        if self._state(rec) in ("Completed", "Failed", "Cancelled"):
            raise RequestsApiError("409 Client Error: Conflict for url: https://quantum.cloud."
                                   f"ibm.com/api/v1/jobs/{job_id}/cancel. Job is in a final "
                                   "state, Error code: 3300.", 409)
        rec["cancelled"] = time.time()
        _atomic_write(self._path(job_id), json.dumps(rec))

    # -- backends -------------------------------------------------------------------------
    def backend_properties(self, backend_name: str, datetime: Any = None,
                           calibration_id: Any = None) -> dict[str, Any]:
        device = _fake_device(backend_name)
        device._set_props_dict_from_json()
        return dict(device._props_dict, backend_name=backend_name)

    def backend_status(self, backend_name: str) -> dict[str, Any]:
        pending = sum(1 for _ in (state_dir() / "jobs").glob("d*.json"))
        return {"backend_name": backend_name, "backend_version": "1.0.0", "operational": True,
                "pending_jobs": pending, "status_msg": "active"}


_devices: dict[str, Any] = {}


def _fake_device(backend_name: str) -> Any:
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    devices = scenario()["devices"]
    if backend_name not in devices:
        raise QiskitBackendNotFoundError("No backend matches the criteria.")
    with _lock:
        if backend_name not in _devices:
            import qiskit_ibm_runtime.fake_provider as fake_provider

            _devices[backend_name] = getattr(fake_provider, devices[backend_name])()
        return _devices[backend_name]


class StandinService:
    """``QiskitRuntimeService`` as far as qnb uses it: ``backend``, ``job``, ``_run``."""

    is_local = False

    def __init__(self, account: Any, settings: dict[str, Any]) -> None:
        self._account = account
        self._channel = account.channel
        self._client = StandinClient(account)
        self._backends: dict[str, Any] = {}

    @property
    def channel(self) -> str:
        return self._channel

    def backend(self, name: str, instance: str | None = None, **kwargs: Any) -> Any:
        from qiskit_ibm_runtime import IBMBackend
        from qiskit_ibm_runtime.models import BackendConfiguration

        with _lock:
            cached = self._backends.get(name)
        if cached is not None:
            return cached
        device = _fake_device(name)  # QiskitBackendNotFoundError, as the service raises
        config = BackendConfiguration.from_dict(dict(device._conf_dict, backend_name=name))
        backend = IBMBackend(configuration=config, service=self, api_client=self._client,
                             instance=self._account.instance)
        with _lock:
            self._backends[name] = backend
        return backend

    def job(self, job_id: str) -> Any:
        """As ``QiskitRuntimeService.job``: 404 -> RuntimeJobNotFound, other request failures ->
        IBMRuntimeError("Failed to retrieve job: ...")."""
        from qiskit_ibm_runtime import RuntimeJobV2
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError
        from qiskit_ibm_runtime.exceptions import IBMRuntimeError, RuntimeJobNotFound

        _record(f"service.job {job_id}")
        try:
            raw = self._client.job_get(job_id, exclude_params=True)
        except RequestsApiError as ex:
            if ex.status_code != 404:
                raise IBMRuntimeError(f"Failed to retrieve job: {ex}") from None
            raise RuntimeJobNotFound(f"Job not found: {job_id}") from None
        return RuntimeJobV2(backend=self.backend(raw["backend"]), api_client=self._client,
                            service=self, job_id=raw["id"], program_id=raw["program"]["id"],
                            creation_date=raw["created"])

    def _run(self, program_id: str, inputs: dict, options: dict | None = None,
             calibration_id: str | None = None, dry_run: bool = False, **kwargs: Any) -> Any:
        """As ``QiskitRuntimeService._run``: send the program, return its ``RuntimeJobV2``."""
        from qiskit_ibm_runtime import RuntimeJobV2
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError
        from qiskit_ibm_runtime.exceptions import IBMRuntimeError

        backend = (options or {})["backend"]
        try:
            response = self._client.program_run(program_id=program_id,
                                                backend_name=backend.name, params=inputs)
        except RequestsApiError as ex:
            raise IBMRuntimeError(f"Failed to run program: {ex}") from None
        return RuntimeJobV2(backend=backend, api_client=self._client, job_id=response["id"],
                            program_id=program_id, service=self)
