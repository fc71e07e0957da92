"""Files qnb writes under ``QNB_HOME``: private to the user (folders 0700, files 0600) and
written so that readers never see half a file."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_warned: set[Path] = set()


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can use."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND) -> int:
    """``os.open`` a file that, when created, only its owner can read."""
    return os.open(path, flags, PRIVATE_FILE)


def write_private(path: Path, data: bytes | str) -> None:
    """Write a whole file atomically, readable by its owner only: a temporary file beside it
    (unique per process and thread), then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: Any) -> None:
    """``write_private`` of ``data`` as JSON."""
    write_private(path, json.dumps(data))


def exposed(path: Path) -> list[tuple[Path, int]]:
    """``path`` and everything under it that others than the owner may use: (path, mode)."""
    found = []
    for p in [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]:
        try:
            mode = stat.S_IMODE(p.lstat().st_mode)
        except OSError:
            continue
        if mode & 0o077 and not p.is_symlink():
            found.append((p, mode))
    return found


def tighten(path: Path) -> int:
    """Make ``path`` and everything under it private (0700 folders, 0600 files); how many
    modes changed."""
    changed = 0
    for p, mode in exposed(path):
        p.chmod(mode & ~0o077 | (PRIVATE_DIR if p.is_dir() else 0))
        changed += 1
    return changed


def warn_if_exposed(home: Path) -> None:
    """One line on stderr, once per process, when others can read ``QNB_HOME``."""
    if home in _warned:
        return
    _warned.add(home)
    try:
        mode = stat.S_IMODE(home.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        print(f"qnb: warning: {home} can be read by other users (mode {mode:04o}); "
              "run 'qnb doctor --fix' to make it private", file=sys.stderr)


#: filesystems where SQLite's WAL mode and flock locks are unsafe (shared memory and byte
#: locks do not cross hosts, or only loosely)
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "lustre", "gpfs", "beegfs",
    "ceph", "glusterfs", "fuse.glusterfs", "fuse.sshfs", "fuse.s3fs", "afs", "9p"})
_fs_types: dict[Path, str] = {}


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` (``QNB_FILESYSTEM_TYPE`` overrides what the
    mount table says, for tests and for mounts it names wrongly)."""
    override = os.environ.get("QNB_FILESYSTEM_TYPE")
    if override:
        return override
    path = path.resolve()
    cached = _fs_types.get(path)
    if cached is None:
        import psutil

        best, cached = "", "unknown"
        for part in psutil.disk_partitions(all=True):
            mount = part.mountpoint.rstrip("/") or "/"
            inside = str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")
            if inside and len(mount) > len(best):
                best, cached = mount, part.fstype
        _fs_types[path] = cached
    return cached


_resolved: dict[Path, Path] = {}


def resolved(home: Path | str) -> Path:
    """``Path(home).resolve()``, remembered: a home's real path is looked up once per process
    (each lookup is a system call per folder of the path, at every submit and every end)."""
    path = Path(home)
    found = _resolved.get(path)
    if found is None:
        found = _resolved[path] = path.resolve()
    return found
