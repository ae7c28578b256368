"""What the checks find: :class:`Finding` and the :class:`Report` that collects them."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Finding levels, from harmless to fatal.
OK = "ok"
INFO = "info"
WARNING = "warning"
ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One result of a check."""

    #: :data:`OK`, :data:`INFO`, :data:`WARNING` or :data:`ERROR`.
    level: str
    #: What was checked, e.g. ``"provider 'github'"`` or ``"cookies"``.
    topic: str
    #: What was found, and what to do about it.
    message: str


@dataclass
class Report:
    """The findings of :func:`~flask_oauth2login.diagnostics.check_app`, in
    the order they were made."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, level: str, topic: str, message: str) -> None:
        """Record a finding."""
        self.findings.append(Finding(level, topic, message))

    @property
    def errors(self) -> list[Finding]:
        """The findings that make a login fail."""
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that may make a login fail."""
        return [f for f in self.findings if f.level == WARNING]

    def topics(self) -> dict[str, list[Finding]]:
        """The findings grouped by topic, topics in order of appearance."""
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.topic, []).append(finding)
        return grouped
