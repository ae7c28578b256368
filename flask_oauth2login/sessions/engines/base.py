"""What a session engine is: everything that depends on where the sessions live.

An :class:`Engine` adapts one kind of Flask-Session backend. It keeps
together, for the store an app's sessions are in:

- whether it is the engine for a session interface (:meth:`Engine.serves`);
- the exceptions that mean the store is down, answered with a 503
  (:meth:`Engine.outage_errors`);
- the refresh lock and result slot (:attr:`Engine.coordinator`, see
  :mod:`~flask_oauth2login.sessions.coordination`), and how widely it is
  shared (:meth:`Engine.coordination`);
- the logout index and the logout tokens seen (:attr:`Engine.logout_store`,
  see :mod:`~flask_oauth2login.sessions.logout_index`);
- what the store is and how widely it is shared, for ``flask oauth2login
  check`` and the hints about lost logins (:meth:`Engine.describe`).

A new backend is one module with one subclass, listed in
:data:`flask_oauth2login.sessions.engines.ENGINES`.
"""

from __future__ import annotations

import typing as t
from abc import ABC, abstractmethod

if t.TYPE_CHECKING:  # pragma: no cover
    from flask_session.base import ServerSideSessionInterface

    from ..coordination import Coordinator
    from ..logout_index import LogoutStore
    from ..setup import GuardedSessionInterface

#: How widely a session store is shared: by one process, the processes of one
#: machine, or any number of machines.
PROCESS, MACHINE, SHARED = "process", "machine", "shared"

#: Prefix of the keys of the logout index and the logout tokens seen (the
#: sessions' own key prefix follows).
LOGOUT_PREFIX = "oauth2login:logout:"


class Engine(ABC):
    """The adapter of one kind of session store; see the module.

    Made once per app, at set-up, for the app's (guarded) session interface:
    it gives the interface its :meth:`outage_errors` and hooks the logout
    index into the interface's writes.
    """

    def __init__(self, interface: GuardedSessionInterface) -> None:
        #: The session interface this engine serves.
        self.interface = interface
        interface.store_errors = self.outage_errors()
        #: The lock and result slot of single-flight refreshes.
        self.coordinator = self.make_coordinator()
        prefix = LOGOUT_PREFIX + str(getattr(interface, "key_prefix", "") or "")
        #: The logout index and the logout tokens seen.
        self.logout_store = self.make_logout_store(prefix)
        interface.before_write = self.logout_store.keep_filed

    @classmethod
    @abstractmethod
    def serves(cls, interface: ServerSideSessionInterface) -> bool:
        """Whether this is the engine for *interface* (asked in the order of
        :data:`~flask_oauth2login.sessions.engines.ENGINES`)."""

    def outage_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions of this store that mean "unreachable or too slow"."""
        return (OSError,)

    @abstractmethod
    def make_coordinator(self) -> Coordinator:
        """The lock and result slot of refreshes, as widely shared as the store can."""

    @abstractmethod
    def make_logout_store(self, prefix: str) -> LogoutStore:
        """The logout index and the tokens seen, under keys that start with *prefix*."""

    def coordination(self) -> str | None:
        """How widely refreshes are single-flight: :data:`PROCESS` (the
        default: within one process), :data:`MACHINE` or :data:`SHARED`."""
        return PROCESS

    def interface_name(self) -> str:
        """The name of the class of the app's session interface (not that of
        the guarded subclass made for it at set-up)."""
        from ..setup import GuardedSessionInterface

        kinds = type(self.interface).__mro__
        own = next((k for k in kinds if not issubclass(k, GuardedSessionInterface)), kinds[0])
        return own.__name__

    @abstractmethod
    def describe(self) -> tuple[str, str | None]:
        """What the store is (and where), and how widely it is shared:
        :data:`PROCESS`, :data:`MACHINE`, :data:`SHARED`, or ``None`` if unknown."""
