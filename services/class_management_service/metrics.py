"""Class management's business metrics on the process's registry, provided by Dishka
(`di.MetricsProvider`) and counted by the use cases once their commit has succeeded."""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter

from services.class_management_service.handlers.roster_import import ImportReport, RowStatus


class ImportOutcome(StrEnum):
    IMPORTED = "imported"  # committed (rows already present included)
    REFUSED = "refused"  # an unreadable file, a missing class: nothing changed


class MatchOutcome(StrEnum):
    SUGGESTED = "suggested"  # a suggested author on the class roster, awaiting review
    UNMATCHED = "unmatched"  # no usable suggestion, awaiting review
    CONFIRMED = "confirmed"  # decided by the teacher


class ClassManagementMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.roster_imports = Counter(
            "class_management_roster_imports",
            "Roster imports, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.roster_import_rows = Counter(
            "class_management_roster_import_rows",
            "Rows of committed roster imports, by result",
            ["status"],
            registry=registry,
        )
        self.matches = Counter(
            "class_management_matches",
            "Essay-author associations stored or decided by a teacher, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.match_timeouts = Counter(
            "class_management_match_timeouts",
            "Associations decided by the timeout sweep",
            registry=registry,
        )
        for outcome in ImportOutcome:
            self.roster_imports.labels(outcome.value)
        for status in RowStatus:
            self.roster_import_rows.labels(status.value)
        for match in MatchOutcome:
            self.matches.labels(match.value)

    def imported(self, report: ImportReport) -> None:
        self.roster_imports.labels(ImportOutcome.IMPORTED.value).inc()
        for status in RowStatus:
            if rows := report.count(status):
                self.roster_import_rows.labels(status.value).inc(rows)

    def import_refused(self) -> None:
        self.roster_imports.labels(ImportOutcome.REFUSED.value).inc()

    def matched(self, outcome: MatchOutcome, count: int = 1) -> None:
        if count:
            self.matches.labels(outcome.value).inc(count)

    def timed_out(self, count: int) -> None:
        if count:
            self.match_timeouts.inc(count)
