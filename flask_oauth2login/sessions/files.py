"""The embedded session store: one file per session under the instance folder.

cachelib's :class:`~cachelib.file.FileSystemCache` keeps a shared file count
and, past its threshold, deletes sessions to make room, scanning the whole
folder on each new session. Under a flood of anonymous requests that evicts
logged-in users, and under concurrent writers the count drifts until the
threshold never triggers. :class:`SessionFileStore` has no threshold and no
count: nothing is ever deleted to make room, and writing a session costs the
same with 100 or 100,000 sessions on disk. Expired sessions are reclaimed by
a sweep that runs in a background thread at most once per
:attr:`~SessionFileStore.sweep_interval`, never inside a request.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t

from cachelib.file import FileSystemCache

log = logging.getLogger(__name__)


class SessionFileStore(FileSystemCache):
    """A :class:`~cachelib.file.FileSystemCache` that never evicts live
    sessions and sweeps expired ones in the background.

    :param path: the folder of the session files.
    :param sweep_interval: least seconds between two sweeps of expired files.
    """

    def __init__(self, path: str, *, sweep_interval: float = 300.0, mode: int = 0o600) -> None:
        super().__init__(path, threshold=0, mode=mode)
        #: Least seconds between two sweeps of expired files.
        self.sweep_interval = sweep_interval
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + sweep_interval

    def set(
        self,
        key: str,
        value: t.Any,
        timeout: t.Any = None,
        mgmt_element: bool = False,
    ) -> bool:
        stored = super().set(key, value, timeout, mgmt_element)
        if time.monotonic() >= self._next_sweep:
            self._start_sweep()
        return stored

    def sweep(self) -> None:
        """Delete the files of expired sessions (and expired markers)."""
        self._remove_expired(time.time())

    def _start_sweep(self) -> None:
        if not self._sweep_lock.acquire(blocking=False):
            return  # one is running
        self._next_sweep = time.monotonic() + self.sweep_interval
        thread = threading.Thread(target=self._sweep_then_release, daemon=True)
        thread.start()

    def _sweep_then_release(self) -> None:
        try:
            self.sweep()
        except Exception:  # never let a sweep take a worker down
            log.exception("Sweeping expired sessions failed.")
        finally:
            self._sweep_lock.release()
