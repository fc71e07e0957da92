"""The job store: schema versions, status machine, paging, cancel."""

from __future__ import annotations

import sqlite3
import time

import pytest

from qnb.models import JobNotFound, JobRecord, JobStatus, StoreError
from qnb.store import SCHEMA_VERSION, Store, new_job_id


def make(store: Store, payload_size: int = 7, **kw) -> JobRecord:
    rec = JobRecord(id=new_job_id(), backend=kw.pop("backend", "aer"), provider="aer",
                    status=JobStatus.QUEUED, shots=100, created_at=time.time(), **kw)
    return store.add_job(rec, "qpy", b"p" * payload_size * 100_000)


def test_new_store_is_wal_with_current_schema(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "jobs.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unversioned_file_is_migrated_and_newer_one_refused_untouched(tmp_path):
    path = tmp_path / "jobs.sqlite"
    sqlite3.connect(path).close()  # an empty, version-0 file
    assert Store(path).schema_version == SCHEMA_VERSION
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = newer.read_bytes()
    with pytest.raises(StoreError, match="newer than this qnb"):
        Store(newer)
    assert newer.read_bytes() == before


def test_status_machine_refuses_moves_out_of_final_states(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    rec = make(store)
    assert store.claim(rec.id) is not None
    assert store.finish(rec.id, JobStatus.DONE, result={"counts": [{"0": 100}]})
    # a late cancel or error must not overwrite a finished job
    assert not store.finish(rec.id, JobStatus.ERROR, error="late")
    assert store.request_cancel(rec.id) is JobStatus.DONE
    got = store.get(rec.id)
    assert got.status is JobStatus.DONE and got.error is None
    assert got.started_at <= got.finished_at
    assert [e[1] for e in store.events(rec.id)] == ["QUEUED", "RUNNING", "DONE"]
    assert store.result(rec.id) == {"counts": [{"0": 100}]}


def test_cancel_queued_is_immediate_and_running_is_requested(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    queued, running = make(store), make(store)
    store.claim(running.id)
    assert store.request_cancel(queued.id) is JobStatus.CANCELLED
    assert store.claim(queued.id) is None  # the runner can no longer start it
    assert store.request_cancel(running.id) is JobStatus.RUNNING
    assert store.cancel_requests() == [running.id]
    with pytest.raises(JobNotFound):
        store.request_cancel("0123456789ab")


def test_paging_filters_and_total(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    ids = [make(store, backend="aer" if i % 3 else "other").id for i in range(30)]
    page, total = store.list(limit=10, offset=5)
    assert total == 30
    assert [r.id for r in page] == list(reversed(ids))[5:15]
    others, total = store.list(backend="other", limit=100)
    assert total == 10 and all(r.backend == "other" for r in others)
    store.request_cancel(ids[0])
    cancelled, total = store.list(status="CANCELLED")
    assert total == 1 and cancelled[0].id == ids[0]


@pytest.mark.parametrize("bad", ["../etc/passwd", "1 OR 1=1", "", "ABCDEF012345", "x" * 12])
def test_malformed_ids_are_not_found(tmp_path, bad):
    store = Store(tmp_path / "jobs.sqlite")
    with pytest.raises(JobNotFound):
        store.get(bad)


def test_full_disk_fails_clearly_and_writes_nothing(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    make(store)
    conn = store._conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    # SQLite reports exactly what a full disk reports once the file may not grow
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="disk holding it is full.*nothing was saved"):
        make(store, payload_size=1)
    assert store.list()[1] == 1
    assert store.integrity_check() == "ok"


def test_callers_narrow_the_transition_table_but_never_widen_it(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    rec = make(store)
    # RUNNING -> QUEUED is a move the table allows, but not from QUEUED
    assert not store.requeue(rec.id, "not running")
    # narrowing DONE to "only from RUNNING" refuses a QUEUED job
    assert not store.finish(rec.id, JobStatus.DONE, only_from=[JobStatus.RUNNING])
    assert store.claim(rec.id) is not None
    assert store.finish(rec.id, JobStatus.CANCELLED, error="stop")
    # no caller can move a finished job, whatever it asks for
    assert not store.finish(rec.id, JobStatus.DONE, only_from=list(JobStatus))
    assert not store.set_remote_state(rec.id, JobStatus.RUNNING, "RUNNING")
    assert store.get(rec.id).status is JobStatus.CANCELLED
    with pytest.raises(ValueError, match="not a final status"):
        store.finish(rec.id, JobStatus.RUNNING)


def test_the_hand_over_to_a_service_is_an_explicit_step(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    rec = make(store)
    assert store.begin_submit(rec.id)
    assert not store.begin_submit(rec.id)  # handed over once
    assert store.queued() == []  # no runner starts it locally meanwhile
    assert store.claim(rec.id) is None
    # a cancel while it is being handed over is only requested: the service may have it
    assert store.request_cancel(rec.id) is JobStatus.QUEUED
    store.attach_remote(rec.id, "r-1", {"plan": 1})
    got = store.get(rec.id)
    assert (got.submitting, got.remote_id, got.provider_state) == (False, "r-1", {"plan": 1})
    assert "provider_state" not in got.to_json() and "submitting" not in got.to_json()


def test_a_version_1_store_keeps_its_jobs_and_its_hand_overs(tmp_path):
    from qnb.store import MIGRATIONS

    path = tmp_path / "jobs.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[1] + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO jobs (id, seq, backend, provider, status, provider_status, shots, "
                 "num_circuits, created_at, updated_at) VALUES ('0123456789ab', 1, 'ibm', "
                 "'ibm-runtime', 'QUEUED', 'submitting', 10, 1, 1.0, 1.0)")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.get("0123456789ab").submitting


def test_a_version_4_store_gains_tags_and_keeps_its_jobs(tmp_path):
    """A store written by the previous qnb opens with every job untagged and findable, and
    takes tags from then on."""
    from qnb.store import MIGRATIONS

    path = tmp_path / "jobs.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(";".join(MIGRATIONS[v] for v in range(1, 5)) + "; PRAGMA user_version = 4;")
    conn.execute("INSERT INTO jobs (id, seq, name, backend, provider, status, shots, "
                 "num_circuits, created_at, updated_at, crashes) VALUES ('0123456789ab', 1, "
                 "'old sweep', 'aer', 'aer', 'DONE', 10, 1, 1.0, 1.0, 1)")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION == 9
    old = store.get("0123456789ab")
    assert (old.tags, old.crashes, old.name) == ([], 1, "old sweep")
    assert store.list(search="SWEEP")[1] == 1
    assert store.retag(old.id, add=["legacy"]) == ["legacy"]
    assert [r.id for r in store.list(tag="LEGACY")[0]] == [old.id]
    assert store.get(old.id).status is JobStatus.DONE
    assert [e[1] for e in store.events(old.id)] == []  # a tag edit is not a status change


def test_search_finds_part_of_a_name_backend_or_tag_or_an_id_prefix_and_forgets_pruned(
        tmp_path):
    """The name index answers what the row scan did: any case, any part of a name (short
    text included), of a backend or a tag, or the start of an id; a pruned job is gone from
    it, and quotes or wildcards in the text are only text."""
    store = Store(tmp_path / "jobs.sqlite")
    a = make(store, name="VQE h2 sweep", tags=["Campaign-7"])
    b = make(store, name='odd "quoted" 100%_name')
    c = make(store, name=None)

    def found(text: str) -> set[str]:
        records, total = store.list(search=text, limit=10)
        assert total == len(records)
        return {r.id for r in records}

    assert found("h2 SWE") == {a.id}
    assert found("H2") == {a.id}  # shorter than a trigram
    assert found("mpaign-") == {a.id}  # a tag
    assert found("AER") == {a.id, b.id, c.id}  # the backend
    assert found(c.id[:5].upper()) == {c.id}  # the start of the id, any case
    assert found('"quoted"') == found("100%_") == {b.id}
    assert found("%") == {b.id} and found("nothing like it") == set()
    store.finish(a.id, JobStatus.DONE)
    assert store.prune(before=time.time() + 1) == 1
    assert found("sweep") == set()


def test_tags_are_kept_with_the_job_edited_in_one_step_and_never_touch_the_status(tmp_path):
    from qnb.models import TagError

    store = Store(tmp_path / "jobs.sqlite")
    rec = make(store, tags=["sweep", "h2", "sweep"])
    assert store.get(rec.id).tags == ["sweep", "h2"]  # duplicates dropped, order kept
    store.claim(rec.id)
    assert store.retag(rec.id, add=["Run-7"], remove=["SWEEP"]) == ["h2", "Run-7"]
    assert store.retag(rec.id, replace=["final"]) == ["final"]
    got = store.get(rec.id)
    assert got.status is JobStatus.RUNNING and got.tags == ["final"]
    assert [e[1] for e in store.events(rec.id)] == ["QUEUED", "RUNNING"]
    for bad, message in [(["a,b"], "commas"), ([""], "empty"), (["   "], "empty"),
                         (["x" * 65], "at most 64 characters"), ([f"t{i}" for i in range(33)],
                                                                 "at most 32 tags"),
                         ([3], "must be a string")]:
        with pytest.raises(TagError, match=message):
            store.retag(rec.id, add=bad)
        assert store.get(rec.id).tags == ["final"]  # nothing written
        with pytest.raises(TagError, match=message):
            make(store, tags=bad)
    assert store.list()[1] == 1  # no job written with bad tags
    with pytest.raises(JobNotFound):
        store.retag("0123456789ab", add=["x"])


def test_filters_by_tag_search_and_time_combine(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    a = make(store, payload_size=0, name="VQE sweep 1", tags=["vqe", "h2"])
    b = make(store, payload_size=0, name="qaoa", tags=["h2"], backend="manila")
    c = make(store, payload_size=0, name="100%_done", tags=[])

    def ids(**kw):
        return {r.id for r in store.list(limit=100, **kw)[0]}

    assert ids(tag="H2") == {a.id, b.id}
    assert ids(tag=["h2", "vqe"]) == {a.id}  # every tag of a list
    assert ids(search="sweep") == ids(search="SWEEP") == {a.id}  # part of the name
    assert ids(search="mani") == {b.id}  # the backend
    assert ids(search="h2") == {a.id, b.id}  # a tag
    assert ids(search=c.id[:5]) >= {c.id} and ids(search=c.id) == {c.id}  # id prefix
    assert ids(search="%_") == {c.id}  # LIKE's wildcards are plain text
    assert ids(search="h2", backend="aer") == {a.id}
    later = time.time() + 60
    assert ids(since=later) == set() and ids(since=0) == {a.id, b.id, c.id}


def test_prune_deletes_old_finished_jobs_with_their_data_and_reclaims_space(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    old = [make(store, payload_size=5, tags=["old"]) for _ in range(6)]
    for rec in old[:4]:
        store.claim(rec.id)
        store.finish(rec.id, JobStatus.DONE, result={"counts": [{"0": 100}]})
    store.request_cancel(old[4].id)  # CANCELLED; old[5] stays QUEUED
    fresh = make(store, payload_size=1)
    store.claim(fresh.id)
    store.finish(fresh.id, JobStatus.DONE)
    cutoff = fresh.created_at
    size = store.disk_bytes()

    assert store.prune(before=cutoff, statuses=["DONE"], dry_run=True) == 4
    assert store.list()[1] == 7  # a dry run deletes nothing
    assert store.prune(before=cutoff, statuses=["CANCELLED"]) == 1
    assert store.prune(before=cutoff) == 4  # the other finished ones
    assert {r.id for r in store.list()[0]} == {old[5].id, fresh.id}  # queued and new stay
    assert store.result(old[0].id) is None and store.events(old[0].id) == []
    with pytest.raises(JobNotFound):
        store.payload(old[0].id)
    assert store.list(tag="old")[1] == 1  # the queued one
    assert store.reclaim() > 0 and store.disk_bytes() < size
    with pytest.raises(ValueError, match="only finished jobs"):
        store.prune(before=cutoff, statuses=["QUEUED"])
    assert store.integrity_check() == "ok"


def test_a_handle_opened_before_another_process_found_damage_writes_nothing_more(tmp_path):
    from qnb.models import StoreCorrupt
    from qnb.store.sqlite.connection import mark_corrupt

    open_before = Store(tmp_path / "jobs.sqlite")  # a kernel's handle, opened long before
    make(open_before)
    mark_corrupt(tmp_path / "jobs.sqlite", "quick_check: page 3 is never used")  # a runner's find
    with pytest.raises(StoreCorrupt, match=r"jobs.sqlite is damaged.*page 3.*doctor --recover"):
        make(open_before)
    assert open_before.list()[1] == 1  # reads still show what was there
