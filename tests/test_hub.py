"""A real JupyterHub (the ``jupyterhub`` package, its dummy authenticator, its simple local
spawner and its default proxy, configurable-http-proxy; no Docker) with qnb's REST API as a
hub-managed service and two users in one group. Every request goes through the proxy's
public port, as a browser's would: each user submits (alice from her own single-user server,
bob through the service); each sees only their own jobs by default and the other's in the
team view; one's cancel of the other's job is refused without the admin scope and done with
it; a paid-backend submit (the Braket stand-in) over the budget is refused naming the cap,
spent, reserved and the estimate. In hub mode (``QNB_HUB_SERVICE``) alice's own server (what
her sidebar calls) and a kernel of hers ask the service, with her server's token, about bob's
jobs. Everything is started here and stopped afterwards; waits are generous (a 2-core
machine) and nothing is timed."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import braket_standin
import pytest
from helpers import free_port, wait_for

TESTS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
#: where ``scripts/setup.sh --test`` installs configurable-http-proxy (a pinned 5.x)
CHP = BIN.parent / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
BELL = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
QNB_CONFIG = f"""
[runner]
workers = 1

[backends.slow-cloud]
provider = "delayed"
queue_seconds = 3600

{braket_standin.FORTE_PROFILE}
[budgets.users]
"*" = {{ usd = 10, period = "month" }}
"""


def proxy_command() -> str:
    """configurable-http-proxy, or a skip saying why (a failure in CI, where
    ``make test`` installs it)."""
    if not CHP.exists():
        message = (f"configurable-http-proxy is not installed at {CHP} "
                   "(scripts/setup.sh --test installs it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(CHP)


def hub_config(base: Path, home: Path, ports: dict[str, int], tester: str,
               env: dict[str, str]) -> str:
    """``jupyterhub_config.py``: what docs/deploy.md tells an administrator to write, with
    the test's ports, the proxy installed by setup.sh and the dummy authenticator."""
    users_env = {**env, "QNB_HUB_SERVICE": f"http://127.0.0.1:{ports['public']}/services/qnb/"}
    return textwrap.dedent(f"""
        import sys
        c = get_config()  # noqa
        c.JupyterHub.ip = "127.0.0.1"
        c.JupyterHub.port = {ports['public']}
        c.JupyterHub.hub_ip = "127.0.0.1"
        c.JupyterHub.hub_port = {ports['hub']}
        c.JupyterHub.db_url = "sqlite:///{base}/jupyterhub.sqlite"
        c.JupyterHub.cookie_secret_file = "{base}/cookie_secret"
        c.ConfigurableHTTPProxy.command = ["{proxy_command()}"]
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports['proxy_api']}"
        c.JupyterHub.authenticator_class = "dummy"
        c.Authenticator.allowed_users = {{"alice", "bob", "carol"}}
        c.JupyterHub.load_groups = {{"physics": {{"users": ["alice", "bob"]}}}}
        c.JupyterHub.custom_scopes = {{
            "custom:qnb:team-read": {{"description": "read the qnb jobs of your groups"}},
            "custom:qnb:admin": {{"description": "cancel any user's qnb jobs",
                                  "subscopes": ["custom:qnb:team-read"]}},
        }}
        c.JupyterHub.services = [
            {{"name": "qnb", "url": "http://127.0.0.1:{ports['qnb']}",
              "command": [sys.executable, "-m", "qnb.hub"],
              "environment": {env!r},
              "oauth_client_allowed_scopes": ["custom:qnb:team-read", "custom:qnb:admin"]}},
            {{"name": "tester", "api_token": "{tester}"}},
        ]
        c.JupyterHub.load_roles = [
            {{"name": "user", "scopes": ["self", "access:services!service=qnb"]}},
            {{"name": "qnb-team", "scopes": ["custom:qnb:team-read"], "groups": ["physics"]}},
            {{"name": "qnb-admin", "scopes": ["custom:qnb:admin"], "users": ["carol"]}},
            {{"name": "qnb-service", "scopes": ["read:users:groups", "read:groups"],
              "services": ["qnb"]}},
            {{"name": "tester", "scopes": ["admin:users", "admin:servers", "tokens"],
              "services": ["tester"]}},
        ]
        # each server's token (its kernels inherit it) may call the qnb service with the
        # qnb scopes its user holds
        c.Spawner.server_token_scopes = [
            "users:activity!user", "access:servers!server", "access:services!service=qnb",
            "custom:qnb:team-read", "custom:qnb:admin"]
        c.JupyterHub.spawner_class = "simple"
        c.SimpleLocalProcessSpawner.home_dir_template = "{base}/homes/{{username}}"
        c.Spawner.cmd = ["{BIN / 'jupyterhub-singleuser'}"]
        c.Spawner.args = {["--allow-root"] if os.getuid() == 0 else []!r}  # a CI container
        c.Spawner.environment = {users_env!r}
        c.Spawner.start_timeout = 300
        c.Spawner.http_timeout = 300
        c.Spawner.default_url = "/lab"
        PORTS = {{"alice": {ports['alice']}, "bob": {ports['bob']}}}

        def fixed_port(spawner):
            spawner.port = PORTS[spawner.user.name]

        c.Spawner.pre_spawn_hook = fixed_port
    """)


@dataclass
class Hub:
    ports: dict[str, int]
    tester: str
    tokens: dict[str, str]
    home: Path
    log: Path

    @property
    def public(self) -> str:
        """The proxy's public URL, the one way in."""
        return f"http://127.0.0.1:{self.ports['public']}"

    def request(self, url: str, method: str = "GET", token: str | None = None,
                body: Any = None, timeout: float = 120) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"token {token or self.tester}",
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw.decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:  # not listening (yet)
            return 0, str(exc)

    def hub_api(self, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
        return self.request(f"{self.public}/hub/api{path}", method, body=body)

    def qnb(self, user: str, path: str, method: str = "GET", body: Any = None):
        """The qnb hub service, as ``user`` with their own hub token."""
        return self.request(f"{self.public}/services/qnb/api{path}", method, self.tokens[user],
                            body)

    def server(self, user: str, path: str, method: str = "GET", body: Any = None):
        """The qnb API of ``user``'s own single-user server (what their sidebar calls),
        with their hub token."""
        return self.request(f"{self.public}/user/{user}/qnb/api{path}", method,
                            self.tokens[user], body)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-80:])


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    base = tmp_path_factory.mktemp("hub")
    home = base / "qnb-home"
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(QNB_CONFIG)
    (base / "homes").mkdir()
    ports = {name: free_port() for name in ("public", "hub", "proxy_api", "qnb", "alice",
                                            "bob")}
    tester = secrets.token_hex(16)
    env = {"QNB_HOME": str(home), "QNB_RUNNER_IDLE_TIMEOUT": "300",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "AWS_ACCESS_KEY_ID": "AKIAQNBTESTS0FAKE0ID",
           "AWS_SECRET_ACCESS_KEY": "qnbFAKEsecret/hub0123456789abcdefghijklmn",
           "AWS_CONFIG_FILE": str(base / "no-aws-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(base / "no-aws-credentials"),
           "AWS_EC2_METADATA_DISABLED": "true",
           braket_standin.STATE_ENV: str(base / "braket-standin")}
    (base / "jupyterhub_config.py").write_text(hub_config(base, home, ports, tester, env))
    os.environ[braket_standin.STATE_ENV] = env[braket_standin.STATE_ENV]  # this process too
    log = base / "hub.log"
    hub_env = {**os.environ, "PYTHONPATH": env["PYTHONPATH"], "QNB_HOME": str(home)}
    for name in ("JUPYTERHUB_USER", "QNB_HUB_SERVICE", "CONFIGPROXY_AUTH_TOKEN"):
        hub_env.pop(name, None)
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", "jupyterhub_config.py"],
                                cwd=base, env=hub_env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    made = Hub(ports, tester, {}, home, log)
    try:
        wait_for(lambda: proc.poll() is None and made.hub_api("/")[0] == 200, timeout=180,
                 what=lambda: f"the hub did not answer through the proxy:\n{made.tail()}")
        for user in ("alice", "bob", "carol"):
            made.hub_api(f"/users/{user}", "POST")  # already there: 409, as wanted
            code, token = made.hub_api(f"/users/{user}/tokens", "POST",
                                       {"note": "qnb hub test"})
            assert code == 201, (code, token)
            made.tokens[user] = token["token"]
        wait_for(lambda: made.qnb("alice", "/backends")[0] == 200, timeout=180,
                 what=lambda: f"the qnb service did not answer:\n{made.tail()}")
        yield made
    finally:
        made.hub_api("/users/alice/server", "DELETE")  # her server stops its kernels
        os.killpg(proc.pid, signal.SIGTERM)  # the hub stops its service, servers and proxy
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
        from qnb.runner.control import stop_runner

        stop_runner(home)
        os.environ.pop(braket_standin.STATE_ENV, None)


@pytest.fixture(scope="module")
def alice_server(hub):
    """alice's own single-user server, spawned by the hub (``JUPYTERHUB_USER=alice``)."""
    code, answer = hub.hub_api("/users/alice/server", "POST")
    assert code in (201, 202), answer
    wait_for(lambda: hub.hub_api("/users/alice")[1]["servers"].get("", {}).get("ready"),
             timeout=300, what=lambda: f"alice's server did not start:\n{hub.tail()}")
    return hub


def test_two_users_of_one_group_see_submit_and_cancel_as_their_scopes_allow(alice_server):
    hub = alice_server
    # alice's own server, spawned by the hub, submits as her (JUPYTERHUB_USER)
    code, mine = hub.server("alice", "/jobs", "POST", {"qasm": BELL, "shots": 100})
    assert code == 201, mine
    # bob submits through the hub service with his own token
    code, his = hub.qnb("bob", "/jobs", "POST", {"qasm": BELL, "backend": "slow-cloud"})
    assert code == 201 and his["owner"] == "bob", his
    assert hub.qnb("alice", f"/jobs/{mine['id']}")[1]["owner"] == "alice"
    # each sees only their own jobs by default, and the other's in the team view
    for user, own, other in (("alice", mine, his), ("bob", his, mine)):
        code, page = hub.qnb(user, "/jobs")
        assert [j["id"] for j in page["jobs"]] == [own["id"]], page
        code, page = hub.qnb(user, "/jobs?team=1")
        assert {j["id"] for j in page["jobs"]} == {own["id"], other["id"]}
    # a token of alice's without the team scope: her own jobs, and a 403 naming the scope
    code, narrow = hub.hub_api("/users/alice/tokens", "POST",
                               {"note": "no team", "scopes": ["access:services!service=qnb"]})
    assert code == 201, narrow
    hub.tokens["alice-narrow"] = narrow["token"]
    code, page = hub.qnb("alice-narrow", "/jobs")
    assert code == 200 and [j["id"] for j in page["jobs"]] == [mine["id"]]
    code, refused = hub.qnb("alice-narrow", "/jobs?team=1")
    assert code == 403 and refused["missing"] == "custom:qnb:team-read", refused
    code, refused = hub.qnb("alice-narrow", f"/jobs/{his['id']}")
    assert code == 403 and refused["missing"] == "custom:qnb:team-read", refused
    code, page = hub.qnb("carol", "/jobs?team=1")  # in no group: her own only (none)
    assert code == 200 and page["jobs"] == []
    code, seen = hub.qnb("carol", f"/jobs/{his['id']}")  # an admin reads any job's row
    assert code == 200 and seen["owner"] == "bob"
    # a teammate's job: its row, never its result
    wait_for(lambda: hub.qnb("alice", f"/jobs/{mine['id']}")[1]["status"] == "DONE",
             timeout=300, what=lambda: hub.tail())
    assert sum(hub.qnb("alice", f"/jobs/{mine['id']}")[1]["counts"][0].values()) == 100
    code, seen = hub.qnb("bob", f"/jobs/{mine['id']}")
    assert code == 200 and seen["status"] == "DONE" and "counts" not in seen
    # alice may not cancel bob's job; carol, with custom:qnb:admin, may
    code, refused = hub.qnb("alice", f"/jobs/{his['id']}/cancel", "POST")
    assert code == 403 and refused["missing"] == "custom:qnb:admin", refused
    assert "needs the admin scope" in refused["error"]
    assert hub.qnb("bob", f"/jobs/{his['id']}")[1]["status"] == "QUEUED"
    code, done = hub.qnb("carol", f"/jobs/{his['id']}/cancel", "POST")
    assert code == 202 and done["cancel_requested"], done
    wait_for(lambda: hub.qnb("bob", f"/jobs/{his['id']}")[1]["status"] == "CANCELLED",
             timeout=300, what=lambda: hub.tail())


def test_a_paid_submit_over_the_budget_is_refused_with_cap_spent_reserved_and_estimate(hub):
    braket_standin.reset(queue_seconds=600, run_seconds=0.2)  # the first stays reserved
    code, first = hub.qnb("bob", "/jobs", "POST", {"qasm": BELL, "backend": "forte",
                                                   "shots": 100})
    assert code == 201, first
    code, refused = hub.qnb("bob", "/jobs", "POST", {"qasm": BELL, "backend": "forte",
                                                     "shots": 100})
    assert code == 403, refused
    for words in ("budget of user bob would be exceeded", "cap $10.00 per month",
                  "spent $0.00", "reserved $8.30", "estimate is $8.30", "Nothing was sent"):
        assert words in refused["error"], refused["error"]
    assert refused["budget"]["left"] == pytest.approx(1.7)
    code, usage = hub.qnb("bob", "/usage?budget=1")
    assert usage["budgets"][0]["usd"]["reserved"] == pytest.approx(8.3)
    code, page = hub.qnb("bob", "/jobs?backend=forte")
    assert [j["id"] for j in page["jobs"]] == [first["id"]]  # the refused one was not written
    assert hub.qnb("bob", f"/jobs/{first['id']}/cancel", "POST")[0] == 202


async def _execute(url: str, token: str, code: str, timeout: float) -> str:
    """Run ``code`` in the kernel whose channels are at ``url`` (Jupyter's WebSocket
    protocol, JSON messages); what it printed, or its traceback."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {token}"},
                                               request_timeout=timeout))
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    out: list[str] = []
    replied = idle = False
    try:
        while not (replied and idle):
            raw = await asyncio.wait_for(conn.read_message(), timeout)
            assert raw is not None, "the kernel's channels closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                out.append("\n".join(content["traceback"]))
            replied |= kind == "execute_reply"
            idle |= kind == "status" and content["execution_state"] == "idle"
    finally:
        conn.close()
    return "".join(out)


def run_in_kernel(hub: Hub, user: str, code: str, timeout: float = 300) -> str:
    """Start a kernel through ``user``'s own server (``/api/kernels``), run ``code`` in it
    over its WebSocket, shut it down; what it printed."""
    base = f"/user/{user}/api/kernels"
    code_, kernel = hub.request(hub.public + base, "POST", hub.tokens[user], {})
    assert code_ == 201, kernel
    try:
        url = f"ws://127.0.0.1:{hub.ports['public']}{base}/{kernel['id']}/channels"
        return asyncio.run(_execute(url, hub.tokens[user], code, timeout))
    finally:
        hub.request(f"{hub.public}{base}/{kernel['id']}", "DELETE", hub.tokens[user])


def test_in_hub_mode_alices_own_server_asks_the_service_about_bobs_jobs(alice_server):
    hub = alice_server
    code, his = hub.qnb("bob", "/jobs", "POST", {"qasm": BELL, "backend": "slow-cloud",
                                                 "name": "bob-sidebar"})
    assert code == 201, his
    code, page = hub.server("alice", "/jobs")  # her own view: her server, locally
    assert code == 200 and his["id"] not in {j["id"] for j in page["jobs"]}
    # the team view of her sidebar: forwarded to the service, which lists bob's job
    code, page = hub.server("alice", "/jobs?team=1")
    assert code == 200 and his["id"] in {j["id"] for j in page["jobs"]}, page
    assert {"alice", "bob"} <= set(page["owners"])
    code, seen = hub.server("alice", f"/jobs/{his['id']}")
    assert code == 200 and seen["owner"] == "bob" and "counts" not in seen
    # her server forwards her cancel of bob's job; the service refuses it, relayed as is
    code, refused = hub.server("alice", f"/jobs/{his['id']}/cancel", "POST")
    assert code == 403 and refused["missing"] == "custom:qnb:admin", refused
    assert "needs the admin scope" in refused["error"]
    assert hub.qnb("bob", f"/jobs/{his['id']}")[1]["status"] == "QUEUED"
    # her budgets are the service's ([budgets] of its QNB_HOME)
    code, usage = hub.server("alice", "/usage?budget=1")
    assert code == 200 and usage["user"] == "alice" and usage["budgets"], usage
    assert hub.qnb("bob", f"/jobs/{his['id']}/cancel", "POST")[0] == 202


KERNEL_CODE = """
import json, qnb
from qnb.teams.groups import NotAllowed
out = {"team": sorted([j.id, j.record.owner] for j in qnb.jobs(team=True)),
       "bob": [[j.id, j.record.owner] for j in qnb.jobs(owner="bob")]}
job = qnb.get_job(BOB)
out["row"] = [job.record.owner, str(job.record.status)]
for what, act in (("counts", job.counts), ("cancel", job.cancel)):
    try:
        act()
        out[what] = "allowed"
    except NotAllowed as exc:
        out[what] = [str(exc), exc.missing]
frame = qnb.jobs_frame(team=True, counts=True).set_index("id")
out["frame_counts"] = frame.loc[BOB, "counts"]
out["owners"] = qnb.api.job_filters(team=True)["owner"]  # what %qjobs --team lists
print("RESULT " + json.dumps(out))
"""


def test_in_hub_mode_a_kernel_of_alices_asks_the_service_with_her_servers_token(
        alice_server):
    hub = alice_server
    code, his = hub.qnb("bob", "/jobs", "POST", {"qasm": BELL, "backend": "slow-cloud",
                                                 "name": "bob-kernel"})
    assert code == 201, his
    printed = run_in_kernel(hub, "alice", KERNEL_CODE.replace("BOB", repr(his["id"])))
    assert "RESULT " in printed, printed
    out = json.loads(printed.split("RESULT ", 1)[1])
    assert [his["id"], "bob"] in out["team"] and [his["id"], "bob"] in out["bob"]
    assert out["row"] == ["bob", "QUEUED"]  # the row the service gives
    message, missing = out["counts"]  # never another's result
    assert missing == "ownership" and "belongs to 'bob'" in message
    message, missing = out["cancel"]  # the service's refusal, with its words
    assert missing == "custom:qnb:admin" and "needs the admin scope" in message
    assert out["frame_counts"] is None
    assert {"alice", "bob"} <= set(out["owners"])  # whose jobs the service shows her
    assert hub.qnb("bob", f"/jobs/{his['id']}")[1]["status"] == "QUEUED"
    assert hub.qnb("bob", f"/jobs/{his['id']}/cancel", "POST")[0] == 202
