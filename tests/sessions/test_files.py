"""The embedded session store: no eviction to make room, expired files swept."""

from __future__ import annotations

import os
import time

from flask_oauth2login.sessions.files import SessionFileStore


def _files(path: str) -> set[str]:
    return {name for name in os.listdir(path) if not name.endswith(".__wz_cache")}


def test_nothing_is_evicted_and_no_count_is_kept(tmp_path):
    store = SessionFileStore(str(tmp_path))
    for i in range(600):  # past cachelib's default threshold of 500
        store.set(f"s{i}", {"n": i}, timeout=3600)
    assert all(store.get(f"s{i}") == {"n": i} for i in range(600))
    assert len(_files(str(tmp_path))) == 600  # no count file beside them


def test_sweep_deletes_expired_sessions_only(tmp_path):
    store = SessionFileStore(str(tmp_path))
    store.set("live", {"a": 1}, timeout=3600)
    store.set("expiring", {"a": 2}, timeout=1)
    deadline = time.time() + 5
    while store.get("expiring") is not None and time.time() < deadline:
        time.sleep(0.1)
    store.sweep()
    assert store.get("live") == {"a": 1}
    assert len(_files(str(tmp_path))) == 1


def test_a_write_starts_a_background_sweep_when_one_is_due(tmp_path):
    store = SessionFileStore(str(tmp_path), sweep_interval=0.5)
    store.set("live", {"a": 1}, timeout=3600)
    store.set("expiring", {"a": 2}, timeout=1)
    deadline = time.time() + 10
    while len(_files(str(tmp_path))) != 1 and time.time() < deadline:
        time.sleep(0.2)
        store.set("live", {"a": 1}, timeout=3600)  # each write may start a sweep
    assert _files(str(tmp_path)) == {os.path.basename(store._get_filename("live"))}
