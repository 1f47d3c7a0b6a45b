"""Storage that every web and worker process can reach, and storage quotas.

Selected by STORAGE_BACKEND (GENSTUDIO_STORAGE_BACKEND):
- `local` (default): files under STORAGE_PATH. Put STORAGE_PATH on a shared directory (NFS, a mounted volume)
  and every process on every machine sees the same images. With STORAGE_QUOTA_MB it becomes
  QuotaLocalStorage.
- `database`: the PNG bytes in a table of the shared database (PostgreSQL in a cluster; SQLite works too),
  so a cluster needs nothing but PostgreSQL and Redis.
- `module:Class`: any other Storage subclass, built as Class(config) (e.g. an S3 bucket).

Quota (STORAGE_QUOTA_MB > 0) and a full disk both raise StorageFull with a clear message. Writes are atomic
in every backend (a temporary file renamed into place, or one transaction), so a refused or interrupted write
leaves nothing half-written.
"""

from __future__ import annotations

import errno
import fcntl
import importlib
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    cast,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine

from .errors import StorageFull
from .storage import LocalStorage, Storage, check_key

MB = 1024 * 1024


def _full_message(quota: int, used: int, size: int) -> str:
    return (f"the image storage is full (quota {quota / MB:.2f} MB, {used / MB:.2f} MB used, "
            f"{size / 1024:.1f} KB needed); delete some images or ask the administrator to raise "
            f"GENSTUDIO_STORAGE_QUOTA_MB")


def quota_bytes(config: dict[str, Any]) -> int:
    return int(float(config.get("STORAGE_QUOTA_MB") or 0) * MB)


def make_backend(config: dict[str, Any]) -> Storage:
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "local":
        quota = quota_bytes(config)
        return QuotaLocalStorage(config["STORAGE_PATH"], quota) if quota else LocalStorage(config["STORAGE_PATH"])
    if backend in ("database", "postgres", "postgresql"):
        return DatabaseStorage(config["SQLALCHEMY_DATABASE_URI"], quota_bytes(config))
    module, _, cls = backend.partition(":")
    if not cls:
        raise ValueError(f"unknown STORAGE_BACKEND {backend!r}: use local, database or module:Class")
    return getattr(importlib.import_module(module), cls)(config)


class QuotaLocalStorage(LocalStorage):
    """LocalStorage with a size limit shared by every process using the folder (an flock serialises writers)."""

    def __init__(self, root: str | os.PathLike, quota: int) -> None:
        super().__init__(root)
        self.quota = int(quota)
        self._lock_path = self.root / ".quota.lock"

    def usage(self) -> int:
        total = 0
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith("."):
                    continue
                with suppress(FileNotFoundError):  # removed meanwhile by another process
                    total += os.stat(os.path.join(folder, name)).st_size
        return total

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                replaced = path.stat().st_size if path.is_file() else 0
                used = self.usage() - replaced
                if used + len(data) > self.quota:
                    raise StorageFull(_full_message(self.quota, used, len(data)))
                try:
                    super().put(key, data)
                except OSError as exc:
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                        raise StorageFull() from exc
                    raise
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


_metadata = MetaData()
BLOBS = Table(
    "genstudio_blobs", _metadata,
    Column("key", String(256), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False, server_default=func.now()),
)
_QUOTA_LOCK = 0x67656E73  # pg_advisory_xact_lock id serialising quota checks ("gens")
_CREATE_LOCK = 0x67656E74


class DatabaseStorage(Storage):
    """Image bytes in the `genstudio_blobs` table of the shared database: one row per key, written in one
    transaction. It keeps its own small connection pool so that storage writes never ride on a job's
    transaction. The table is created on first use (it is not part of the app's models or migrations)."""

    def __init__(self, url: str, quota: int = 0, engine: Engine | None = None) -> None:
        self.url = url
        self.quota = int(quota)
        self.postgres = url.startswith("postgresql")
        if engine is None:
            options: dict[str, Any] = {"pool_pre_ping": True}
            if self.postgres:
                options.update(pool_size=4, max_overflow=8)
            else:
                options["connect_args"] = {"timeout": 30, "check_same_thread": False}
            engine = create_engine(url, **options)
        self.engine = engine
        self._ready = False

    def _ensure_table(self) -> None:
        if self._ready:
            return
        with self.engine.begin() as conn:
            if self.postgres:  # CREATE TABLE IF NOT EXISTS can still collide between processes
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CREATE_LOCK})
            _metadata.create_all(conn, checkfirst=True)
        self._ready = True

    def _upsert(self, key: str, data: bytes):
        if self.postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(BLOBS).values(key=key, data=data, size=len(data), updated_at=func.now())
        return stmt.on_conflict_do_update(index_elements=[BLOBS.c.key],
                                          set_={"data": stmt.excluded.data, "size": stmt.excluded.size,
                                                "updated_at": func.now()})

    def put(self, key: str, data: bytes) -> None:
        check_key(key)
        self._ensure_table()
        data = bytes(data)
        with self.engine.begin() as conn:
            if self.quota:
                if self.postgres:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _QUOTA_LOCK})
                used = conn.scalar(select(func.coalesce(func.sum(BLOBS.c.size), 0)).where(BLOBS.c.key != key))
                if int(used) + len(data) > self.quota:
                    raise StorageFull(_full_message(self.quota, int(used), len(data)))
            conn.execute(self._upsert(key, data))

    def get(self, key: str) -> bytes:
        check_key(key)
        self._ensure_table()
        with self.engine.connect() as conn:
            data = conn.scalar(select(BLOBS.c.data).where(BLOBS.c.key == key))
        if data is None:
            raise FileNotFoundError(key)
        return bytes(data)

    def exists(self, key: str) -> bool:
        check_key(key)
        self._ensure_table()
        with self.engine.connect() as conn:
            return conn.scalar(select(BLOBS.c.size).where(BLOBS.c.key == key)) is not None

    def delete(self, key: str) -> None:
        check_key(key)
        self._ensure_table()
        with self.engine.begin() as conn:
            conn.execute(BLOBS.delete().where(BLOBS.c.key == key))

    def delete_prefix(self, prefix: str) -> None:
        prefix = check_key(prefix.rstrip("/"))
        self._ensure_table()
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        with self.engine.begin() as conn:
            conn.execute(BLOBS.delete().where(BLOBS.c.key.like(pattern, escape="\\")))

    def usage(self) -> int:
        self._ensure_table()
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.coalesce(func.sum(BLOBS.c.size), 0))))

    def listing(self, prefix: str) -> dict[str, float]:
        prefix = check_key(prefix.rstrip("/")) + "/"
        self._ensure_table()
        now = cast(func.now(), DateTime) if self.postgres else func.now(type_=DateTime)  # naive, like updated_at
        query = select(BLOBS.c.key, BLOBS.c.updated_at, now).where(
            func.substr(BLOBS.c.key, 1, len(prefix)) == prefix)
        with self.engine.connect() as conn:  # ages on the database's own clock, which wrote updated_at
            return {key: (now - written).total_seconds() for key, written, now in conn.execute(query)}

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key under prefix (for maintenance and tests)."""
        self._ensure_table()
        query = select(BLOBS.c.key).order_by(BLOBS.c.key)
        if prefix:
            query = query.where(func.substr(BLOBS.c.key, 1, len(prefix)) == prefix)
        with self.engine.connect() as conn:
            return list(conn.scalars(query))


def local_files(root: str | os.PathLike) -> list[str]:
    """Every file under a LocalStorage root as keys, temporary files included (for tests of atomic writes)."""
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != ".quota.lock")
