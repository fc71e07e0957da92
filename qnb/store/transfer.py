"""Moving jobs between stores: ``qnb export --format archive`` writes every job whole (its
record, payload and result), one JSON object a line; ``qnb import FILE`` writes them into
the store in use. So a user's SQLite home moves into a team's PostgreSQL store, and back.

What an import does with a job:
- a finished job is written as it was, and enters the new store's usage ledger as it ends
  (what it used at a service comes from its result, as when it ended);
- a local job that was running is queued again (its run belonged to the old store's runner);
- a remote job keeps its remote id: a runner of the new store follows it there;
- a job whose id the store already has is left alone and counted as skipped.
Nothing of a job is written unless all of it is (one transaction per job).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterable
from typing import IO, Any

from ..models import JobNotFound, JobRecord, JobStatus, QnbError
from .contract import JobStore

FORMAT = "qnb-job/1"


class ArchiveError(QnbError):
    """A line of an archive is not a qnb job; the message names the line."""


def dump(store: JobStore, out: IO[str], **filters: Any) -> int:
    """Write every job matching ``filters`` (those of ``JobStore.list``), oldest first, one
    JSON object a line; how many."""
    n = 0
    for record, result in store.scan(with_results=True, **filters):
        fmt, payload = store.payload(record.id)
        fields = dataclasses.asdict(record)
        fields["status"] = str(record.status)
        out.write(json.dumps({"format": FORMAT, "record": fields, "payload_format": fmt,
                              "payload": base64.b64encode(payload).decode("ascii"),
                              "result": result}) + "\n")
        n += 1
    return n


def _parse(line: str, number: int) -> tuple[JobRecord, str, bytes, dict[str, Any] | None]:
    try:
        item = json.loads(line)
        if item.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} line (format {item.get('format')!r})")
        fields = dict(item["record"])
        known = {f.name for f in dataclasses.fields(JobRecord)}
        fields = {k: v for k, v in fields.items() if k in known}
        fields["status"] = JobStatus(fields["status"])
        record = JobRecord(**fields)
        payload = base64.b64decode(item["payload"], validate=True)
        return record, str(item["payload_format"]), payload, item.get("result")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArchiveError(f"line {number} is not a qnb job: {exc}") from None


def load(store: JobStore, lines: Iterable[str]) -> tuple[int, int]:
    """Write the jobs of an archive into ``store``; (imported, skipped as already there).
    Every line is checked before anything is written, so a bad archive writes nothing."""
    jobs = [_parse(line, n) for n, line in enumerate(lines, 1) if line.strip()]
    imported = skipped = 0
    for record, fmt, payload, result in jobs:
        try:
            store.get(record.id)
            skipped += 1
            continue
        except JobNotFound:
            pass
        if record.status is JobStatus.RUNNING and not record.remote_id:
            record.status = JobStatus.QUEUED  # its run was the old store runner's
            record.started_at = None
            record.provider_state = {k: v for k, v in record.provider_state.items()
                                     if k not in ("worker", "runner")}
        if record.submitting and not record.remote_id:  # as a runner would: never sent twice
            record.status, record.submitting = JobStatus.ERROR, False
            record.error = ("it was being submitted to its service when it was exported; it "
                            "may or may not have reached it, so it is not sent again")
        store.import_job(record, fmt, payload, result if record.status.is_final else None)
        imported += 1
    return imported, skipped
