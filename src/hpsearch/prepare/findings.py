"""What the leakage gate found: findings by check and severity, and the error they raise."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hpsearch.errors import LeakageError


@dataclass(frozen=True)
class Finding:
    """One result of one check: an error stops the sweep, warnings and info are recorded."""

    check: str
    severity: str
    message: str
    columns: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeakageReport:
    """Every finding of every check, in the order the checks ran."""

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def passed(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "n_errors": len(self.errors),
            "findings": [
                {**asdict(f), "columns": list(f.columns), "ids": list(f.ids)} for f in self.findings
            ],
        }


def raise_if_failed(report: LeakageReport) -> None:
    """Raise ``LeakageError`` listing every error finding; do nothing when the report passed."""
    if report.passed:
        return
    lines = [f"leakage gate failed with {len(report.errors)} error(s):"]
    for f in report.errors:
        extra = []
        if f.columns:
            extra.append(f"columns: {', '.join(f.columns)}")
        if f.ids:
            extra.append(f"ids: {', '.join(f.ids)}")
        suffix = f" [{'; '.join(extra)}]" if extra else ""
        lines.append(f"  - {f.check}: {f.message}{suffix}")
    raise LeakageError("\n".join(lines))
