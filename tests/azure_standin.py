"""A stand-in for an Azure Quantum workspace and its linked storage, which tests cannot reach.

A local HTTP server (started in the test process; the runner reaches it by URL) speaks the
REST shapes the ``azure-quantum`` SDK sends and reads, so the SDK's own code runs unchanged
above it: ``Workspace``, ``Job.from_input_data``, ``get_job``, ``cancel_job``,
``Session``, ``download_data`` and azure-storage-blob's clients.

- data plane, under ``/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Quantum/
  workspaces/{w}``: ``PUT/GET jobs/{id}``, ``POST jobs/{id}:cancel`` (answered 204, as the
  service historically does), ``GET providerStatus``, ``POST storage/sasUri``,
  ``PUT/GET sessions/{id}``, ``POST sessions/{id}:close``; every call needs the connection
  string's key in ``x-ms-quantum-api-key`` (else 401), errors come as
  ``{"error": {"code", "message"}}``;
- storage, path-style as the storage emulator serves it (``/{account}/{container}/{blob}``):
  blob PUT (``x-ms-blob-type: BlockBlob``, 201), GET with ``x-ms-range`` answered 206 with
  ``Content-Range``, HEAD; a SAS signature is required; a missing blob is 404
  ``BlobNotFound``.

Jobs queue for ``queue_seconds`` and run for ``run_seconds`` (scenario), with the status
words of the workspace generation (``generation`` 1: Waiting, Executing, Succeeded; 2: Queued,
Executing, Finishing, Completed, CancellationRequested). A finished job is really simulated
(Aer for IonQ's JSON and Quantinuum's OpenQASM 2, the QDK's QIR simulator for QIR) and its
output written to ``rawOutputData`` in the job's container, in the target's output format;
``costEstimate`` follows the target's price list. Scenario ``fail`` (an ``errorData`` dict, or
``{}`` for none), ``no_output``, ``quota`` and ``fail_next`` (an HTTP status, code and message
for the next N calls of one operation, with ``Retry-After: 0`` on 429s) make it misbehave.
The wording of errors is the stand-in's own; the codes and shapes are Azure's.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

URL_ENV = "QNB_AZURE_STANDIN_URL"
SUBSCRIPTION = "4f3b2a10-9c8d-4e7f-a6b5-c4d3e2f1a0b9"
RESOURCE_GROUP = "qnb-tests"
WORKSPACE = "qnb-ws"
LOCATION = "eastus"
ACCOUNT = "qnbstandinstore"
SIGNATURE = "c3RhbmRpbi1zaWduYXR1cmU%3D"
#: targets: availability, average queue seconds, and price per unit ({dimension: USD})
TARGETS = {
    "ionq": {"ionq.simulator": ("Available", 3, {}),
             "ionq.qpu.aria-1": ("Available", 7200, {"1q gate shot": 0.000220,
                                                      "2q gate shot": 0.000975})},
    "quantinuum": {"quantinuum.sim.h2-1e": ("Available", 5, {}),
                   "quantinuum.qpu.h2-1": ("Unavailable", 86400, {})},
    "rigetti": {"rigetti.sim.qvm": ("Available", 1, {})},
}
DEFAULTS: dict[str, Any] = {"generation": 2, "queue_seconds": 1.0, "run_seconds": 0.3,
                            "fail": None, "no_output": False, "quota": None}
_FINAL = {"Succeeded", "Completed", "Failed", "Cancelled"}


class _State:
    def __init__(self, key: str) -> None:
        self.key = key
        self.lock = threading.RLock()
        self.scenario = dict(DEFAULTS)
        self.jobs: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.blobs: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.containers: set[str] = set()
        self.calls: list[dict[str, Any]] = []
        self.faults: dict[str, list[tuple[int, str, str]]] = {}


_server: ThreadingHTTPServer | None = None
_state: _State | None = None


def start(key: str) -> str:
    """Start the stand-in (once per process), accepting ``key``; its base URL."""
    global _server, _state
    if _server is None:
        _state = _State(key)
        _server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        _server.daemon_threads = True
        threading.Thread(target=_server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{_server.server_address[1]}/"


def connection_string(key: str) -> str:
    return (f"SubscriptionId={SUBSCRIPTION};ResourceGroupName={RESOURCE_GROUP};"
            f"WorkspaceName={WORKSPACE};ApiKey={key};"
            f"QuantumEndpoint=https://{LOCATION}.quantum.azure.com/;")


def make_workspace(kwargs: dict[str, Any]) -> Any:
    """The profiles' ``workspace_factory``: the ``Workspace`` qnb asks for, with its data
    plane at the stand-in (credentials: the SDK's own, from the environment)."""
    import os

    from azure.quantum import Workspace

    return Workspace(**kwargs, _quantum_endpoint=os.environ[URL_ENV])


def _st() -> _State:
    assert _state is not None, "azure_standin.start() first"
    return _state


def reset(**changes: Any) -> None:
    st = _st()
    with st.lock:
        st.scenario = {**DEFAULTS, **changes}
        st.faults.clear()


def set_scenario(**changes: Any) -> None:
    with _st().lock:
        _st().scenario.update(changes)


def fail_next(op: str, status: int, code: str, message: str, times: int = 1) -> None:
    """The next ``times`` calls of ``op`` (CreateJob, GetJob, CancelJob, ProviderStatus,
    SasUri, GetBlob, PutBlob, OpenSession) answer ``status`` with Azure's error body."""
    with _st().lock:
        _st().faults[op] = [(status, code, message)] * times


def calls(op: str | None = None) -> list[dict[str, Any]]:
    with _st().lock:
        return [dict(c) for c in _st().calls if op is None or c["op"] == op]


def jobs() -> dict[str, dict[str, Any]]:
    with _st().lock:
        return {k: dict(v) for k, v in _st().jobs.items()}


def sessions() -> dict[str, dict[str, Any]]:
    with _st().lock:
        return {k: dict(v) for k, v in _st().sessions.items()}


def blob(container: str, name: str) -> bytes | None:
    with _st().lock:
        found = _st().blobs.get((container, name))
    return found[0] if found else None


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat().replace(
        "+00:00", "Z")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# -- jobs ----------------------------------------------------------------------------------
def _status(st: _State, rec: dict[str, Any]) -> str:
    """The job's status now (advancing it, and writing its output when it ends)."""
    gen2 = rec["generation"] == 2
    if rec["status"] in _FINAL:
        return rec["status"]
    now = time.time()
    if rec.get("cancel_at") is not None:
        if gen2 and now - rec["cancel_at"] < 0.3:
            return "CancellationRequested"
        rec.update(status="Cancelled", cancellationTime=now, endExecutionTime=now)
        return "Cancelled"
    start = rec["created"] + rec["queue_seconds"]
    end = start + rec["run_seconds"]
    if now < start:
        return "Queued" if gen2 else "Waiting"
    rec.setdefault("beginExecutionTime", start)
    if now < end:
        return "Executing"
    if gen2 and now < end + 0.2:
        return "Finishing"
    _finish(st, rec, end)
    return rec["status"]


def _finish(st: _State, rec: dict[str, Any], end: float) -> None:
    rec["endExecutionTime"] = end
    session = st.sessions.get(rec.get("sessionId") or "")
    if rec["fail"] is not None or (session is not None and session["status"] == "Failed"):
        rec["status"] = "Failed"
        if rec["fail"] is None:
            rec["fail"] = {"code": "SessionFailed",
                           "message": f"Session {session['id']} failed; the job was not run"}
        rec["errorData"] = rec["fail"] or None
        if session is not None and session["jobFailurePolicy"] == "Abort":
            session["status"] = "Failed"
        elif session is not None:
            session["status"] = "Failure(s)"
        return
    output = _simulate(st, rec)
    rec["status"] = "Completed" if rec["generation"] == 2 else "Succeeded"
    container = rec["container"]
    if not rec["no_output"]:
        st.blobs[(container, "rawOutputData")] = (output, "application/json")
    rec["outputDataUri"] = f"{rec['base']}{ACCOUNT}/{container}/rawOutputData"
    rec["costEstimate"] = _cost(rec)


def _cost(rec: dict[str, Any]) -> dict[str, Any]:
    provider, target = rec["providerId"], rec["target"]
    prices = TARGETS.get(provider, {}).get(target, ("", 0, {}))[2]
    shots = int(rec["inputParams"].get("shots", 0))
    events, total = [], 0.0
    for unit, price in (prices or {"shot": 0.0}).items():
        gates = rec["gates"][1 if unit.startswith("1q") else 2] if "gate" in unit else 1
        consumed = float(gates * shots)
        total += consumed * price
        events.append({"dimensionId": unit.replace(" ", "_"), "dimensionName": unit.title(),
                       "measureUnit": unit, "amountBilled": round(consumed * price, 6),
                       "amountConsumed": consumed, "unitPrice": price})
    return {"currencyCode": "USD", "events": events, "estimatedTotal": round(total, 6)}


def _simulate(st: _State, rec: dict[str, Any]) -> bytes:
    data, _ = st.blobs[(rec["container"], "inputData")]
    shots = int(rec["inputParams"].get("shots", 500))
    fmt = rec["inputDataFormat"]
    if fmt == "ionq.circuit.v1":
        from qiskit.quantum_info import Statevector

        qc = _ionq_to_qiskit(json.loads(data))
        probs = Statevector(qc).probabilities()
        return json.dumps({"histogram": {str(i): float(p) for i, p in enumerate(probs)
                                         if p > 1e-12}}).encode()
    if fmt == "honeywell.openqasm.v1":
        from qiskit import qasm2
        from qiskit_aer import AerSimulator

        qc = qasm2.loads(data.decode())
        memory = AerSimulator().run(qc, shots=shots, memory=True, seed_simulator=7).result(
        ).get_memory()
        names = [r.name for r in qc.cregs]
        out: dict[str, list[str]] = {n: [] for n in names}
        for shot in memory:
            for name, bits in zip(names, reversed(shot.split(" ")), strict=True):
                out[name].append(bits)
        return json.dumps(out).encode()
    from qdk.simulation import run_qir

    shots_out = [_qir_json(s) for s in run_qir(data.decode(), shots=shots, seed=7)]
    histogram: dict[str, dict[str, Any]] = {}
    for shot in shots_out:
        display = json.dumps(shot)
        entry = histogram.setdefault(display, {"Outcome": shot, "Display": display, "Count": 0})
        entry["Count"] += 1
    return json.dumps({"DataFormat": "microsoft.quantum-results.v2", "Results": [
        {"Histogram": list(histogram.values()), "Shots": shots_out}]}).encode()


def _qir_json(value: Any) -> Any:
    """A QIR simulator outcome in the service's JSON: tuples as ``{"Item1": ...}``."""
    if isinstance(value, tuple):
        return {f"Item{i + 1}": _qir_json(v) for i, v in enumerate(value)}
    if isinstance(value, list):
        return [_qir_json(v) for v in value]
    return 1 if str(value) == "One" else 0


def _ionq_to_qiskit(body: dict[str, Any]) -> Any:
    from qiskit import QuantumCircuit

    names = {"si": "sdg", "ti": "tdg", "v": "sx", "vi": "sxdg", "cnot": "cx"}
    qc = QuantumCircuit(int(body["qubits"]))
    for g in body["circuit"]:
        name = names.get(g["gate"], g["gate"])
        qubits = ([g["control"], g["target"]] if "control" in g else list(g["targets"]))
        args = [g["rotation"]] if "rotation" in g else []
        getattr(qc, name)(*args, *qubits)
    return qc


def _gate_counts(rec: dict[str, Any], data: bytes) -> dict[int, int]:
    if rec["inputDataFormat"] != "ionq.circuit.v1":
        return {1: 0, 2: 0}
    gates = json.loads(data)["circuit"]
    two = sum(1 for g in gates if "control" in g or len(g.get("targets", [])) > 1)
    return {1: len(gates) - two, 2: two}


def _job_json(rec: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "providerId", "target", "containerUri", "inputDataUri",
            "inputDataFormat", "outputDataFormat", "inputParams", "metadata", "sessionId",
            "outputDataUri", "costEstimate", "errorData", "tags", "priority")
    out = {k: rec.get(k) for k in keys}
    out.update(itemType="Job", jobType="QuantumComputing", status=rec["status"],
               creationTime=_iso(rec["created"]),
               beginExecutionTime=_iso(rec.get("beginExecutionTime")),
               endExecutionTime=_iso(rec.get("endExecutionTime")),
               cancellationTime=_iso(rec.get("cancellationTime")))
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # -- plumbing --------------------------------------------------------------------------
    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> None:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        if raw is None and body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _fault(self, st: _State, op: str) -> bool:
        queue = st.faults.get(op)
        if not queue:
            return False
        status, code, message = queue.pop(0)
        st.calls.append({"op": op, "status": status, "error": code, "path": self.path})
        headers = {"x-ms-error-code": code}
        if status == 429:
            headers["Retry-After"] = "0"
        self._send(status, _error(code, message), headers)
        return True

    def do_PUT(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def _route(self) -> None:
        st = _st()
        url = urlparse(self.path)
        body = self._body()
        with st.lock:
            if url.path.startswith(f"/{ACCOUNT}/"):
                return self._storage(st, url, body)
            m = re.match(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/"
                         r"Microsoft\.Quantum/workspaces/([^/]+)/(.*)$", url.path)
            if m is None or (m.group(1), m.group(2), m.group(3)) != (
                    SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE):
                return self._send(404, _error("WorkspaceNotFound",
                                              f"No workspace at {url.path}"))
            if self.headers.get("x-ms-quantum-api-key") != st.key:
                st.calls.append({"op": "Unauthorized", "status": 401, "path": url.path})
                return self._send(401, _error("Unauthorized", "The API key is not valid "
                                              "for this workspace."))
            return self._workspace(st, m.group(4), body)

    # -- the workspace's data plane --------------------------------------------------------
    def _workspace(self, st: _State, rest: str, body: bytes) -> None:
        job = re.match(r"^jobs/([^/:]+)(:cancel)?$", rest)
        session = re.match(r"^sessions/([^/:]+)(:close)?$", rest)
        if rest == "providerStatus":
            if self._fault(st, "ProviderStatus"):
                return
            st.calls.append({"op": "ProviderStatus", "status": 200})
            value = [{"id": p, "currentAvailability": "Available",
                      "targets": [{"id": t, "currentAvailability": a, "averageQueueTime": q,
                                   "statusPage": f"https://status.{p}.example"}
                                  for t, (a, q, _) in targets.items()]}
                     for p, targets in TARGETS.items()]
            return self._send(200, {"value": value, "nextLink": None})
        if rest == "storage/sasUri":
            if self._fault(st, "SasUri"):
                return
            req = json.loads(body or b"{}")
            container = req["containerName"]
            st.containers.add(container)
            st.calls.append({"op": "SasUri", "status": 200, "container": container})
            where = container + (f"/{req['blobName']}" if req.get("blobName") else "")
            expiry = _iso(time.time() + 3600)
            uri = (f"{self._base()}{ACCOUNT}/{where}?sv=2023-11-03&se={expiry}&sr=c&sp=rcwl"
                   f"&sig={SIGNATURE}")
            return self._send(200, {"sasUri": uri})
        if job and self.command == "PUT":
            return self._create_job(st, job.group(1), json.loads(body))
        if job:
            op = "CancelJob" if job.group(2) else "GetJob"
            if self._fault(st, op):
                return
            rec = st.jobs.get(job.group(1))
            st.calls.append({"op": op, "status": 200 if rec else 404, "job": job.group(1)})
            if rec is None:
                return self._send(404, _error("JobNotFound", f"Job {job.group(1)} was not "
                                              f"found in workspace {WORKSPACE}."))
            rec["status"] = _status(st, rec)
            if op == "CancelJob":
                if rec["status"] in _FINAL:
                    return self._send(409, _error("InvalidJobState", f"Job {rec['id']} is "
                                                  f"already {rec['status']}."))
                rec["cancel_at"] = time.time()
                return self._send(204)
            return self._send(200, _job_json(rec))
        if session:
            return self._session(st, session.group(1), bool(session.group(2)), body)
        return self._send(404, _error("NotFound", f"No route {rest}"))

    def _base(self) -> str:
        return f"http://{self.headers.get('Host')}/"

    def _create_job(self, st: _State, job_id: str, req: dict[str, Any]) -> None:
        if self._fault(st, "CreateJob"):
            return
        sc = st.scenario
        provider, target = req.get("providerId"), req.get("target")
        error = None
        if sc["quota"]:
            error = (403, "QuotaExceeded", sc["quota"])
        elif target not in TARGETS.get(provider or "", {}):
            error = (400, "InvalidJobDefinition", f"The target '{target}' of provider "
                     f"'{provider}' is not available in workspace {WORKSPACE}.")
        container = urlparse(req.get("containerUri") or "").path.split("/")[2:3]
        if error is None and (not container or (container[0], "inputData") not in st.blobs):
            error = (400, "InvalidJobDefinition", "The job's input data was not found.")
        session = st.sessions.get(req.get("sessionId") or "")
        if error is None and req.get("sessionId") and (
                session is None or session["status"] in ("Succeeded", "Failed", "TimedOut")):
            error = (400, "SessionTerminated", f"Session {req['sessionId']} does not accept "
                     "jobs any more.")
        if error is not None:
            st.calls.append({"op": "CreateJob", "status": error[0], "error": error[1]})
            return self._send(error[0], _error(error[1], error[2]))
        data, _ = st.blobs[(container[0], "inputData")]
        rec = {**req, "id": job_id, "container": container[0], "created": time.time(),
               "status": "Queued" if sc["generation"] == 2 else "Waiting",
               "generation": sc["generation"], "queue_seconds": sc["queue_seconds"],
               "run_seconds": sc["run_seconds"], "fail": sc["fail"],
               "no_output": sc["no_output"], "base": self._base()}
        rec["gates"] = _gate_counts(rec, data)
        st.jobs[job_id] = rec
        st.calls.append({"op": "CreateJob", "status": 200, "job": job_id, "body": req})
        self._send(200, _job_json(rec))

    def _session(self, st: _State, sid: str, close: bool, body: bytes) -> None:
        op = "CloseSession" if close else {"PUT": "OpenSession"}.get(self.command, "GetSession")
        if self._fault(st, op):
            return
        rec = st.sessions.get(sid)
        if op == "OpenSession":
            req = json.loads(body)
            rec = st.sessions[sid] = {
                "id": sid, "name": req.get("name"), "providerId": req.get("providerId"),
                "target": req.get("target"), "itemType": "Session", "status": "Waiting",
                "jobFailurePolicy": req.get("jobFailurePolicy") or "Abort",
                "creationTime": _iso(time.time())}
        st.calls.append({"op": op, "status": 200 if rec else 404, "session": sid})
        if rec is None:
            return self._send(404, _error("SessionNotFound", f"Session {sid} was not found."))
        if close and rec["status"] in ("Waiting", "Executing"):
            rec["status"] = "Succeeded"
        self._send(200, {k: v for k, v in rec.items()})

    # -- storage ---------------------------------------------------------------------------
    def _storage(self, st: _State, url: Any, body: bytes) -> None:
        parts = url.path.strip("/").split("/", 2)
        container, name = parts[1], (parts[2] if len(parts) > 2 else "")
        query = parse_qs(url.query)
        xml = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>{0}</Code>'
               '<Message>{1}</Message></Error>')
        if query.get("sig", [""])[0] != SIGNATURE.replace("%3D", "="):
            code = "AuthenticationFailed"
            return self._send(403, raw=xml.format(code, "Server failed to authenticate the "
                                                  "request.").encode(),
                              headers={"x-ms-error-code": code,
                                       "Content-Type": "application/xml"})
        op = {"PUT": "PutBlob", "GET": "GetBlob", "HEAD": "GetBlobProperties"}[self.command]
        if self._fault(st, op):
            return
        stamp = {"ETag": '"0x8DC0A1B2C3D4E5F"', "Last-Modified":
                 datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
                 "x-ms-version": "2023-11-03"}
        if self.command == "PUT":
            if container not in st.containers:
                code = "ContainerNotFound"
                return self._send(404, raw=xml.format(code, "The specified container does "
                                                      "not exist.").encode(),
                                  headers={"x-ms-error-code": code})
            st.blobs[(container, name)] = (body, self.headers.get("x-ms-blob-content-type", ""))
            st.calls.append({"op": op, "status": 201, "container": container, "blob": name})
            return self._send(201, headers={**stamp, "x-ms-request-server-encrypted": "true"})
        found = st.blobs.get((container, name))
        st.calls.append({"op": op, "status": 200 if found else 404, "container": container,
                         "blob": name})
        if found is None:
            code = "BlobNotFound"
            return self._send(404, raw=xml.format(code, "The specified blob does not "
                                                  "exist.").encode(),
                              headers={"x-ms-error-code": code, "Content-Type":
                                       "application/xml"})
        data, content_type = found
        headers = {**stamp, "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes",
                   "Content-Type": content_type or "application/octet-stream"}
        rng = self.headers.get("x-ms-range") or self.headers.get("Range")
        if self.command == "HEAD" or not rng:
            return self._send(200, raw=data, headers=headers)
        m = re.match(r"bytes=(\d+)-(\d*)", rng)
        first = int(m.group(1)) if m else 0
        last = min(int(m.group(2)) if m and m.group(2) else len(data) - 1, len(data) - 1)
        if first >= len(data):
            code = "InvalidRange"
            return self._send(416, raw=xml.format(code, "The range specified is invalid for "
                                                  "the current size of the resource.").encode(),
                              headers={"x-ms-error-code": code,
                                       "Content-Range": f"bytes */{len(data)}"})
        headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        self._send(206, raw=data[first:last + 1], headers=headers)
