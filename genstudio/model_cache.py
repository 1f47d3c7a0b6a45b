"""Models loaded once per process: the one cache for services' pipelines and the models pages use directly.

An entry is keyed by what loads it (a service's `load`, or a function such as `load_classifier`), the weights
folder and the model name, and remembers the checkpoint digest it was loaded from: pointing GENSTUDIO_WEIGHTS
elsewhere (tests do) or retraining a model in place gives another digest, so the model is loaded again and the
stale copy dropped. Each entry also holds the lock that lets one job at a time use a pipeline (Pipeline's
contract), so runners and the landing page's example never run the same pipeline at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import weights

T = TypeVar("T")
_UNSET: Any = object()


@dataclass
class _Entry:
    digest: str | None
    value: Any = _UNSET
    loading: threading.Lock = field(default_factory=threading.Lock)
    in_use: threading.Lock = field(default_factory=threading.Lock)


class ModelCache:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[tuple[Hashable, str, str], _Entry] = {}

    def _entry(self, name: str, loader: Callable[[str], Any]) -> _Entry:
        key = (loader, str(weights.weights_root()), name)
        digest = weights.digest(name)
        with self._guard:
            entry = self._entries.get(key)
            if entry is None or entry.digest != digest:
                entry = self._entries[key] = _Entry(digest)
        with entry.loading:  # one load per entry; other models load meanwhile
            if entry.value is _UNSET:
                entry.value = loader(name)  # a failure (e.g. ModelMissing) is raised again on the next call
        return entry

    def get(self, name: str, loader: Callable[[str], T]) -> T:
        """The model `loader(name)` returns, loaded on first use."""
        return self._entry(name, loader).value

    @contextmanager
    def use(self, name: str, loader: Callable[[str], T]) -> Iterator[T]:
        """The model, held by this caller alone until the block ends."""
        entry = self._entry(name, loader)
        with entry.in_use:
            yield entry.value


MODELS = ModelCache()
