"""A Flask-Session backend of the tests' own, which no session engine but the
generic one knows."""

from __future__ import annotations

import typing as t
from datetime import timedelta

from flask import Flask
from flask_session.base import ServerSideSessionInterface


class DictSessionInterface(ServerSideSessionInterface):
    """Sessions in a dict of this process: none of the known backends."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app, "dict:", False, True, 32, "msgpack")
        self.data: dict[str, bytes] = {}

    def _retrieve_session_data(self, store_id: str) -> dict[str, t.Any] | None:
        raw = self.data.get(store_id)
        return None if raw is None else self.serializer.decode(raw)

    def _delete_session(self, store_id: str) -> None:
        self.data.pop(store_id, None)

    def _upsert_session(self, session_lifetime: timedelta, session: t.Any, store_id: str) -> None:
        self.data[store_id] = self.serializer.encode(session)
