"""The store contract (``qnb/store/contract.py``), run on every implementation in
``tests/store_impls.py``: transitions allowed and refused, exclusive claims from several
processes, cancel races, tags, search and paging, the ledger, pruning, backups and damage."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from pathlib import Path

import pytest
from store_impls import impl, impl_names

from qnb.models import JobNotFound, JobRecord, JobStatus, StoreError, TagError
from qnb.store import TRANSITIONS, JobStore, make_backup, new_job_id, open_store, restore
from qnb.teams.budgets import Budget, BudgetExceeded, Cap, Reservation

STATUSES = list(JobStatus)


@pytest.fixture(params=impl_names())
def kind(request):
    return impl(request.param)


@pytest.fixture
def store(kind, tmp_path) -> JobStore:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    made = kind.make(home)
    yield made
    made.close()


def add(store: JobStore, *, provider: str = "aer", name: str | None = None,
        tags: list[str] | None = None, created_at: float | None = None) -> JobRecord:
    rec = JobRecord(id=new_job_id(), backend=provider, provider=provider, name=name,
                    status=JobStatus.QUEUED, shots=100, num_circuits=1,
                    created_at=created_at or time.time(), tags=tags or [])
    return store.add_job(rec, "qpy", b"circuit")


def put_in(store: JobStore, status: JobStatus) -> str:
    """A job in ``status``, reached through the contract's own moves."""
    job = add(store).id
    if status is JobStatus.QUEUED:
        return job
    assert store.claim(job) is not None
    if status is not JobStatus.RUNNING:
        assert store.finish(job, status, error=None if status is JobStatus.DONE else "why",
                            result={"counts": [{"0": 100}]} if status is JobStatus.DONE else None)
    return job


def try_move(store: JobStore, job: str, to: JobStatus) -> bool:
    """Ask for the move to ``to`` through the method that makes it."""
    if to is JobStatus.RUNNING:
        return store.claim(job) is not None
    if to is JobStatus.QUEUED:
        return store.requeue(job, "lost with its runner")
    return store.finish(job, to, error=None if to is JobStatus.DONE else "why")


@pytest.mark.parametrize("frm,to", list(itertools.product(STATUSES, STATUSES)),
                         ids=lambda s: str(s))
def test_every_move_the_table_allows_happens_and_every_other_is_refused(store, frm, to):
    job = put_in(store, frm)
    before = store.events(job)
    allowed = to in TRANSITIONS.get(frm, frozenset())
    assert try_move(store, job, to) is allowed
    after = store.get(job)
    if allowed:
        assert after.status is to
        assert store.events(job)[-1][1] == str(to)
    else:
        assert after.status is frm  # refused: nothing changed, nothing recorded
        assert store.events(job) == before


def test_a_job_is_written_whole_or_not_at_all(store):
    with pytest.raises(TagError):
        add(store, tags=["ok", "x" * 1000])
    assert store.list()[1] == 0 and not store.busy()
    job = add(store, name="bell", tags=["a"])
    assert store.payload(job.id) == ("qpy", b"circuit")
    assert [e[1] for e in store.events(job.id)] == ["QUEUED"]
    with pytest.raises(JobNotFound):
        store.get("0123456789ab")


def _claim_all(url: str, home: str, worker: int, out) -> None:
    store = open_store(Path(home), url=url)
    got = []
    while (rec := store.claim_next(worker, 1, remote=["ibm-runtime"])) is not None:
        got.append(rec.id)
    out.put(got)


def test_claims_are_exclusive_across_processes_and_skip_remote_jobs(store):
    local = [add(store).id for _ in range(120)]
    remote = [add(store, provider="ibm-runtime").id for _ in range(5)]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(store.url, str(store.home), w, out))
             for w in range(4)]
    for p in procs:
        p.start()
    claimed = [job for _ in procs for job in out.get(timeout=120)]
    for p in procs:
        p.join(30)
    assert sorted(claimed) == sorted(local)  # every local job once, and only once
    assert all(store.get(j).status is JobStatus.QUEUED for j in remote)
    held = [store.holder(j) for j in local]
    assert all(h is not None and h[1] == 1 for h in held)
    assert sum(len(store.held_by(w, 1)) for w in range(4)) == len(local)
    assert store.count_held(1) == len(local)
    assert all(store.get(j).attempts == 1 for j in local)


def test_the_oldest_waiting_job_is_claimed_first(store):
    first, second = add(store), add(store)
    assert store.claim_next(7, 1).id == first.id
    assert store.claim_next(8, 1).id == second.id
    assert store.claim_next(9, 1) is None


def test_a_claimed_job_gives_its_own_payload_and_attempt_count(store):
    # the shared store reads a claimed job's payload with the claim: each job must still
    # give its own, whichever was claimed last by this thread
    first = store.add_job(JobRecord(id=new_job_id(), backend="aer", provider="aer",
                                    status=JobStatus.QUEUED, shots=1, num_circuits=1,
                                    created_at=time.time()), "qpy", b"first circuit")
    second = store.add_job(JobRecord(id=new_job_id(), backend="aer", provider="aer",
                                     status=JobStatus.QUEUED, shots=1, num_circuits=1,
                                     created_at=time.time()), "qasm3", b"second circuit")
    claimed = [store.claim_next(7, 1), store.claim_next(8, 1)]
    assert [c.id for c in claimed] == [first.id, second.id]
    assert [c.attempts for c in claimed] == [1, 1]
    assert store.payload(first.id) == ("qpy", b"first circuit")
    assert store.payload(second.id) == ("qasm3", b"second circuit")
    assert store.payload(second.id) == ("qasm3", b"second circuit")  # asked again
    assert store.requeue(first.id, "again") and store.claim_next(9, 1).attempts == 2


def _race(url: str, home: str, jobs: list[str], cancel: bool, out) -> None:
    store = open_store(Path(home), url=url)
    wins = 0
    for job in jobs:
        if cancel:
            store.request_cancel(job)
            wins += store.finish(job, JobStatus.CANCELLED, error="cancelled by the user")
        else:
            wins += store.finish(job, JobStatus.DONE, result={"counts": [{"1": 1}]})
    out.put(wins)


def test_a_cancel_racing_a_result_ends_each_job_exactly_once(store):
    jobs = [put_in(store, JobStatus.RUNNING) for _ in range(60)]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(store.url, str(store.home), jobs, c, out))
             for c in (True, False)]
    for p in procs:
        p.start()
    wins = out.get(timeout=120) + out.get(timeout=120)
    for p in procs:
        p.join(30)
    assert wins == len(jobs)  # one of the two won each job
    for job in jobs:
        rec = store.get(job)
        finals = [e for e in store.events(job) if JobStatus(e[1]).is_final]
        assert len(finals) == 1 and finals[0][1] == str(rec.status)
        assert (store.result(job) is not None) is (rec.status is JobStatus.DONE)
    assert sum(row["jobs"] for row in store.usage()) == len(jobs)


def test_a_late_result_never_overwrites_a_cancel(store):
    job = put_in(store, JobStatus.RUNNING)
    assert store.request_cancel(job) is JobStatus.RUNNING
    assert store.cancel_requests() == [job]
    assert store.finish(job, JobStatus.CANCELLED, error="cancelled")
    assert not store.finish(job, JobStatus.DONE, result={"counts": [{"0": 1}]})
    assert store.get(job).status is JobStatus.CANCELLED and store.result(job) is None
    queued = add(store).id
    assert store.request_cancel(queued) is JobStatus.CANCELLED  # at once while waiting
    assert store.claim(queued) is None


def test_tags_search_and_paging(store):
    ids = [add(store, name=f"sweep {i}", tags=["vqe"] if i % 2 else ["qaoa", "big"]).id
           for i in range(12)]
    page, total = store.list(limit=5, offset=2)
    assert total == 12 and [r.id for r in page] == list(reversed(ids))[2:7]
    vqe, total = store.list(tag="VQE", limit=100)  # tags ignore case
    assert total == 6 and {r.id for r in vqe} == set(ids[1::2])
    assert store.list(tag=["qaoa", "big"], limit=100)[1] == 6
    assert [r.id for r in store.list(search="sweep 11")[0]] == [ids[11]]
    assert store.list(search=ids[3][:6])[0][0].id == ids[3]  # an id prefix
    assert store.retag(ids[0], add=["Keep"], remove=["big"]) == ["qaoa", "Keep"]
    assert store.get(ids[0]).status is JobStatus.QUEUED  # retagging moves nothing
    assert store.list(tag="keep")[1] == 1
    oldest = list(store.scan(with_results=True))
    assert [r.id for r, _ in oldest] == ids


def test_the_ledger_counts_each_ended_job_once_and_outlives_pruning(store):
    done = put_in(store, JobStatus.DONE)
    put_in(store, JobStatus.ERROR)
    add(store)  # still waiting: not in the ledger
    by_status = {row["group"]: row for row in store.usage(by="status")}
    assert set(by_status) == {"DONE", "ERROR"} and by_status["DONE"]["shots"] == 100
    count, newest = store.ended_after(0)
    assert count == 2
    assert store.ended_after(newest) == (0, newest)
    assert store.prune(before=time.time() + 1) == 2
    with pytest.raises(JobNotFound):
        store.get(done)
    assert sum(row["jobs"] for row in store.usage()) == 2  # the ledger keeps what was used


def test_prune_removes_only_old_finished_jobs(store):
    old = put_in(store, JobStatus.CANCELLED)
    waiting = add(store, created_at=time.time() - 3600).id
    running = put_in(store, JobStatus.RUNNING)
    cutoff = time.time() + 1
    assert store.prune(before=cutoff, dry_run=True) == 1
    assert store.prune(before=cutoff, statuses=["DONE"]) == 0
    assert store.prune(before=cutoff) == 1
    assert {r.id for r in store.list(limit=10)[0]} == {waiting, running}
    with pytest.raises(ValueError, match="only finished jobs"):
        store.prune(before=cutoff, statuses=["QUEUED"])
    assert old not in store.get_many([old, waiting])


def test_a_backup_restores_every_job_or_the_store_says_to_use_its_database_tools(kind, store,
                                                                               tmp_path):
    jobs = {put_in(store, s): s for s in STATUSES}
    copy = make_backup(store, keep=2)
    if not kind.file_backups:
        assert copy is None
        return
    assert copy is not None and copy.stat().st_mode & 0o077 == 0  # private
    other = tmp_path / "restored"
    other.mkdir(mode=0o700)
    assert "restored" in restore(other, copy)
    back = kind.make(other)
    assert {j: back.get(j).status for j in jobs} == jobs
    assert back.result(next(j for j, s in jobs.items() if s is JobStatus.DONE))


def test_a_damaged_store_is_refused_with_a_message_naming_it(kind, store):
    add(store)
    where = kind.damage(store)
    with pytest.raises(StoreError) as refused:
        check = kind.reopen(store)
        check.list()
    assert where in str(refused.value)


def test_a_url_opens_the_same_store(kind, store):
    job = add(store).id
    again = open_store(store.home, url=store.url)
    assert again.get(job).id == job and again.url == store.url
    assert again.identity() == store.identity()


def remote_job(store: JobStore, follower: int | None) -> str:
    job = add(store, provider="ibm-runtime").id
    assert store.begin_submit(job, follower=follower)
    store.attach_remote(job, f"remote-{job}")
    return job


def test_runners_hold_leases_that_they_renew_and_that_expire(store):
    store.join(11, host="node-a", pid=100, workers=2, lease=60, service=True)
    store.join(22, host="node-a", pid=100, workers=1, lease=0.01)  # same host and pid: no matter
    time.sleep(0.05)
    assert {r["id"]: r["alive"] for r in store.runners()} == {11: True, 22: False}
    assert store.beat(11, lease=60, running=1, following=2)
    assert store.expire_runners() == [22]
    assert not store.beat(22, lease=60)  # too late: its lease is gone, and so may its jobs be
    [only] = store.runners()
    assert (only["host"], only["workers"], only["running"], only["following"],
            only["service"]) == ("node-a", 2, 1, 2, True)
    store.leave(11)
    assert store.runners() == []


def test_a_gone_runners_local_jobs_are_orphaned_and_its_remote_jobs_adopted_once(store):
    store.join(1, host="a", pid=1, workers=1, lease=60)
    store.join(2, host="b", pid=2, workers=1, lease=60)
    held = add(store).id
    assert store.claim_next(5, 1).id == held  # a worker of runner 1 runs it
    followed = remote_job(store, follower=1)
    mine = remote_job(store, follower=2)
    assert store.orphaned() == [] and store.adopt(2) == []  # runner 1 is alive
    assert store.follower(followed) == 1
    assert store.expire_runners(all_but=2) == [1]  # e.g. runner 1's home lock was taken over
    assert [r.id for r in store.orphaned()] == [held]
    assert [r.id for r in store.adopt(2)] == [followed]
    assert store.follower(followed) == 2 and store.follower(mine) == 2
    assert store.adopt(3) == []  # already followed by a runner with a lease
    store.leave(2)  # a clean stop hands its remote jobs on at once
    assert store.follower(mine) is None
    store.join(3, host="c", pid=3, workers=1, lease=60)
    assert {r.id for r in store.adopt(3)} == {followed, mine}


def _adopt(url: str, home: str, runner: int, out) -> None:
    store = open_store(Path(home), url=url)
    store.join(runner, host=f"host-{runner}", pid=runner, workers=1, lease=60)
    taken = []
    for _ in range(20):
        taken += [r.id for r in store.adopt(runner, limit=3)]
    out.put(taken)


def test_remote_jobs_are_adopted_by_exactly_one_runner_among_several(store):
    jobs = [remote_job(store, follower=None) for _ in range(40)]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_adopt, args=(store.url, str(store.home), r, out))
             for r in (101, 102, 103)]
    for p in procs:
        p.start()
    taken = [job for _ in procs for job in out.get(timeout=120)]
    for p in procs:
        p.join(30)
    assert sorted(taken) == sorted(jobs)
    assert {store.follower(j) for j in jobs} <= {101, 102, 103}


# -- owners and budgets --------------------------------------------------------------------
def owned(store: JobStore, owner: str | None, *, provider: str = "aer",
          reservation=None) -> JobRecord:
    rec = JobRecord(id=new_job_id(), backend=provider, provider=provider, owner=owner,
                    status=JobStatus.QUEUED, shots=100, created_at=time.time())
    return store.add_job(rec, "qpy", b"circuit", reservation=reservation)


def test_a_job_keeps_its_owner_and_lists_filter_by_owner(store):
    alice, bob, nobody = (owned(store, o).id for o in ("alice", "bob", None))
    assert store.get(alice).owner == "alice"
    assert store.get_many([bob])[bob].owner == "bob"
    assert [r.id for r in store.list(owner="alice")[0]] == [alice]
    assert {r.id for r in store.list(owner=["alice", "bob"])[0]} == {alice, bob}
    assert {r.id for r in store.list(owner=["bob", None])[0]} == {bob, nobody}
    assert store.list(owner=[])[1] == 0  # nobody's view is empty, not everything
    assert [r.id for r, _ in store.scan(owner="bob")] == [bob]
    store.claim(alice)
    store.finish(alice, JobStatus.DONE, result={"counts": [{"0": 100}]})
    assert store.get(alice).to_json()["owner"] == "alice"


def paid_cap(usd: float | None = None, qpu: float | None = None, owners=("alice",),
             kind: str = "user", name: str = "alice") -> Cap:
    return Cap(Budget(kind, name, usd=usd, qpu_seconds=qpu), tuple(owners), since=0.0)


def test_a_paid_job_reserves_its_estimate_and_is_refused_past_the_cap_writing_nothing(store):
    cap = paid_cap(usd=10.0)
    first = owned(store, "alice", provider="braket",
                  reservation=Reservation("alice", 6.0, None, (cap,))).id
    [state] = store.budget_state([cap])
    assert state["usd"] == {"cap": 10.0, "spent": 0.0, "reserved": 6.0, "left": 4.0}
    rec = JobRecord(id=new_job_id(), backend="braket", provider="braket", owner="alice",
                    status=JobStatus.QUEUED, shots=100, created_at=time.time())
    with pytest.raises(BudgetExceeded) as refused:
        store.add_job(rec, "qpy", b"circuit",
                      reservation=Reservation("alice", 5.0, None, (cap,), "price per shot"))
    text = str(refused.value)
    for part in ("user alice", "cap $10.00", "spent $0.00", "reserved $6.00",
                 "estimate is $5.00", "price per shot"):
        assert part in text
    assert refused.value.detail["left"] == 4.0
    assert store.get_many([rec.id]) == {}  # nothing of the refused job was written
    # a group's cap counts every member's jobs; another user's own cap is apart
    group = paid_cap(usd=7.0, owners=("alice", "bob"), kind="group", name="physics")
    with pytest.raises(BudgetExceeded, match="group physics"):
        owned(store, "bob", provider="braket",
              reservation=Reservation("bob", 2.0, None, (paid_cap(usd=5, owners=("bob",)),
                                                         group)))
    owned(store, "bob", provider="braket",
          reservation=Reservation("bob", 2.0, None, (paid_cap(usd=5, owners=("bob",)),)))
    assert store.budget_state([cap])[0]["usd"]["reserved"] == 6.0
    assert first


def test_a_reservation_is_settled_from_the_ledger_when_the_job_ends(store):
    cap = paid_cap(usd=100.0, qpu=60.0)
    done = owned(store, "alice", provider="ibm-runtime",
                 reservation=Reservation("alice", 8.0, 20.0, (cap,))).id
    unreported = owned(store, "alice", provider="ibm-runtime",
                       reservation=Reservation("alice", 3.0, 4.0, (cap,))).id
    never_ran = owned(store, "alice", provider="ibm-runtime",
                      reservation=Reservation("alice", 50.0, 30.0, (cap,))).id
    assert store.budget_state([cap])[0]["usd"]["reserved"] == 61.0
    store.claim(done)
    store.finish(done, JobStatus.DONE, result={
        "counts": [{"0": 100}], "metadata": {"estimated_cost_usd": 5.5, "qpu_seconds": 12.0}})
    store.claim(unreported)
    store.finish(unreported, JobStatus.DONE, result={"counts": [{"0": 100}]})
    assert store.request_cancel(never_ran) is JobStatus.CANCELLED
    [state] = store.budget_state([cap])
    # what the ledger says, the estimate where it says nothing, nothing for what never ran
    assert state["usd"] == {"cap": 100.0, "spent": 8.5, "reserved": 0.0, "left": 91.5}
    assert state["qpu_seconds"] == {"cap": 60.0, "spent": 16.0, "reserved": 0.0, "left": 44.0}
    assert store.prune(before=time.time() + 1) == 3
    assert store.budget_state([cap])[0]["usd"]["spent"] == 8.5  # spent stays spent
    later = Cap(cap.budget, cap.owners, since=time.time() + 5)  # the next period
    assert store.budget_state([later])[0]["usd"]["spent"] == 0.0
    assert store.recent_usage("ibm-runtime")[0]["cost_estimate"] is None
    assert [r["cost_estimate"] for r in store.recent_usage("ibm-runtime")] == [None, 5.5]


def test_submits_at_once_never_pass_a_cap_together(kind, store):
    import threading

    cap = paid_cap(usd=5.0)
    other = kind.reopen(store)
    accepted, refused = [], []

    def submit(on: JobStore) -> None:
        for _ in range(4):
            try:
                accepted.append(owned(on, "alice", provider="braket",
                                      reservation=Reservation("alice", 1.0, None, (cap,))).id)
            except BudgetExceeded:
                refused.append(1)

    threads = [threading.Thread(target=submit, args=(s,)) for s in (store, other, store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(accepted) == 5 and len(refused) == 7
    assert store.budget_state([cap])[0]["usd"]["reserved"] == 5.0
