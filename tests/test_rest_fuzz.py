"""Hostile and malformed requests against a real ``jupyter server`` with qnb: only clean JSON
answers (201 / 400 / 404 / 413), never a 500, never a half-written job, never a secret."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from circuits import qasm_seeds
from helpers import JupyterServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAKE_TOKEN = "qnbFAKEibmTOKEN" + "x" * 40
BODIES: list[str] = []  # every answer, searched for the secret at the end


def seeds() -> tuple[str, ...]:
    """Real programs to mutate: MQT Bench's (and QASMBench's, where it is there)."""
    return qasm_seeds(3000)


@pytest.fixture(scope="module")
def server(jupyter_launcher, tmp_path_factory):
    from qnb.runner.control import stop_runner

    tmp = tmp_path_factory.mktemp("rest-fuzz")
    home = tmp / "home"
    home.mkdir(mode=0o700)
    srv = jupyter_launcher(home, base=tmp, env={"QISKIT_IBM_TOKEN": FAKE_TOKEN})
    yield srv
    srv.stop()
    stop_runner(home)
    log = srv.log.read_text(errors="replace")
    assert FAKE_TOKEN not in log


def total(server: JupyterServer) -> int:
    code, body = server.request("GET", "/qnb/api/jobs?limit=1")
    assert code == 200
    return json.loads(body)["total"]


def check_answer(code: int, body: bytes, allowed: set[int]) -> dict:
    BODIES.append(body.decode(errors="replace"))
    assert code in allowed, (code, body[:300])
    data = json.loads(body)
    if code >= 400:
        assert isinstance(data.get("error"), str) and data["error"], data
    return data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                       children, max_size=4),
    max_leaves=10)


@st.composite
def submissions(draw):
    body = {}
    if draw(st.booleans()):
        qasm = draw(st.sampled_from(seeds()))
        if draw(st.booleans()):
            i = draw(st.integers(0, len(qasm)))
            qasm = qasm[:i] + draw(st.text(max_size=10)) + qasm[i + draw(st.integers(0, 30)):]
        body["qasm"] = qasm
    else:
        body["qasm"] = draw(json_values)
    for key, strategy in (("shots", st.integers(-5, 3000) | json_values),
                          ("backend", st.sampled_from(["aer", "nope", "", "../aer"]) | json_values),
                          ("name", st.text(max_size=40) | json_values),
                          ("seed", st.integers(-2, 2**64) | json_values)):
        if draw(st.booleans()):
            body[key] = draw(strategy)
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    raw = json.dumps(body)
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]  # truncated JSON
    return raw.encode()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(submissions())
def test_fuzzed_submissions_get_clean_answers_and_no_half_jobs(server, body):
    before = total(server)
    code, answer = server.request("POST", "/qnb/api/jobs", body)
    data = check_answer(code, answer, {201, 400})
    after = total(server)
    assert after == before + (1 if code == 201 else 0)
    if code == 201:
        check_answer(*server.request("GET", f"/qnb/api/jobs/{data['id']}"), {200})


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(min_size=1, max_size=40).map(lambda t: urllib.request.quote(t, safe="")))
def test_fuzzed_ids_and_queries_are_404_or_400(server, text):
    check_answer(*server.request("GET", f"/qnb/api/jobs/{text}"), {404})
    check_answer(*server.request("POST", f"/qnb/api/jobs/{text}/cancel", b""), {404})
    # an "X" first: never a status nor a number, whatever follows (blank values are no filter)
    check_answer(*server.request("GET", f"/qnb/api/jobs?status=X{text}"), {400})
    check_answer(*server.request("GET", f"/qnb/api/jobs?limit=X{text}"), {400})


def test_no_answer_carried_the_token(server):
    check_answer(*server.request("GET", "/qnb/api/backends"), {200})
    check_answer(*server.request("GET", "/qnb/api/jobs?limit=500"), {200})
    assert BODIES and not any(FAKE_TOKEN in b for b in BODIES)


def test_browser_requests_need_the_xsrf_token(server):
    """A logged-in browser (cookie, no token header) must also send the XSRF token."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{server.port}"
    opener.open(f"{base}/login", timeout=60).read()  # the login page sets the _xsrf cookie
    opener.open(f"{base}/login?next=%2Fapi%2Fstatus&token={server.token}", timeout=60).read()
    cookies = {c.name: c.value for c in jar}
    assert "_xsrf" in cookies and any(n.startswith("username-") for n in cookies)
    body = json.dumps({"qasm": seeds()[0], "shots": 10}).encode()
    before = total(server)

    def post(headers):
        req = urllib.request.Request(f"{base}/qnb/api/jobs", data=body, method="POST",
                                     headers=headers)
        try:
            with opener.open(req, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert post({}) == 403  # the cookie alone is not enough
    assert total(server) == before
    assert post({"X-XSRFToken": cookies["_xsrf"]}) == 201
    assert total(server) == before + 1
    with opener.open(f"{base}/qnb/api/jobs?limit=1", timeout=60) as r:  # reads need no XSRF
        assert r.status == 200
