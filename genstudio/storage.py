"""Where image bytes live. The web and job code only see this interface and string keys such as
`images/<user>/<id>.png`; LocalStorage keeps them under the instance folder. A shared backend (for several
machines) implements the same five methods.
"""

from __future__ import annotations

import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

from .errors import StorageError

KEY_RE = re.compile(r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-.]+)*$")


def check_key(key: str) -> str:
    if not KEY_RE.match(key) or ".." in key:
        raise StorageError(f"invalid storage key {key!r}")
    return key


class Storage(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store data under key, replacing what was there (atomically where the backend can)."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes under key; FileNotFoundError when absent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove key; no error if it is already gone."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every key under prefix/ (e.g. all of a user's uploads)."""

    def listing(self, prefix: str) -> dict[str, float]:
        """Every key under prefix/ with the seconds since it was written (for the sweep of orphaned files).
        Optional: a backend without it is simply not swept."""
        raise NotImplementedError


class LocalStorage(Storage):
    """Files under a root folder (the instance folder's storage/ by default)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        import shutil

        folder = self.path(prefix.rstrip("/"))
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)

    def listing(self, prefix: str) -> dict[str, float]:
        import time

        folder = self.path(prefix.rstrip("/"))
        now, out = time.time(), {}
        for path in folder.rglob("*") if folder.is_dir() else ():
            try:
                if path.is_file():
                    out[str(path.relative_to(self.root))] = now - path.stat().st_mtime
            except FileNotFoundError:  # removed meanwhile
                continue
        return out


def make_storage(config: dict) -> Storage:
    if config.get("STORAGE_BACKEND", "local") != "local" or config.get("STORAGE_QUOTA_MB"):
        from .storage_backends import make_backend  # shared / database storage and quotas

        return make_backend(config)
    return LocalStorage(config["STORAGE_PATH"])
