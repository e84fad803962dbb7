"""What the terminal shows: the preflight summary and the end-of-sweep report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hpsearch.cli.board import fmt, leaderboard_table
from hpsearch.prepare.findings import LeakageReport
from hpsearch.prepare.preflight import Preflight
from hpsearch.spaces import n_dimensions
from hpsearch.status import SweepStatus
from hpsearch.store.commands import mlflow_ui_command, resume_command, validate_command

if TYPE_CHECKING:
    from hpsearch.endings import SweepEnding
    from hpsearch.report.validate import ValidationReport
    from hpsearch.store.listing import SweepSummary


def _leakage_lines(report: LeakageReport) -> list[str]:
    style = {"error": "red", "warning": "yellow", "info": "dim"}
    return [
        f"[{style.get(f.severity, 'white')}]{f.severity:7s}[/] {f.check}: {f.message}"
        for f in report.findings
    ]


def print_preflight(console: Console, pre: Preflight) -> None:
    """The `hpsearch check` summary."""
    data, cfg = pre.data, pre.config
    dev, hold = data.development, data.holdout
    q = data.quality
    console.print(f"[bold]Sweep[/] {cfg.name}: {cfg.task}, source {cfg.data.source}")
    kinds = Counter(p.kind for p in data.profiles)
    console.print(
        f"Rows: {q.n_rows} loaded, columns: {q.n_columns}; features: "
        + ", ".join(
            f"{kinds[kind]} {kind.replace('_', '-')}"
            for kind in ("numeric", "categorical", "high_cardinality", "datetime", "text")
            if kinds[kind]
        )
    )
    if q.class_counts:
        balance = ", ".join(f"{label}: {count}" for label, count in q.class_counts)
        console.print(f"Class balance: {balance}")
    console.print(
        f"Hold-out: {hold.n_rows} rows ({data.split_kind} split, fraction {cfg.holdout.fraction}); "
        f"development: {dev.n_rows} rows, {cfg.cv.folds}-fold CV"
    )
    console.print(
        f"Fingerprints: development {dev.fingerprint[:16]}, hold-out {hold.fingerprint[:16]}"
    )
    for label, cols in (
        ("Dropped constant columns", q.dropped_constant),
        ("Dropped all-missing columns", q.dropped_all_missing),
        ("Id-like columns (kept; declare data.id_column or drop them)", q.id_like_columns),
    ):
        if cols:
            console.print(f"[yellow]{label}:[/] {', '.join(cols)}")
    console.print(f"Duplicate feature rows: {q.duplicate_rows} (policy: {q.duplicate_policy})")
    for warning in q.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print("[bold]Columns[/] (decided on the development rows)")
    for profile in data.profiles:
        console.print(f"  {escape(profile.name)}: {profile.kind} ({escape(profile.reason)})")
    console.print("[bold]Leakage checks[/]")
    for line in _leakage_lines(pre.leakage):
        console.print("  " + line)
    families = ", ".join(f"{s.family} ({len(s.params)} params)" for s in pre.spaces)
    console.print(f"Search spaces: {families}; {n_dimensions(pre.spaces)} dimensions in all")
    verdict = "[green]passed[/]" if pre.leakage.passed else "[red]FAILED[/]"
    console.print(f"Preflight {verdict}.")


def print_result(console: Console, result: SweepEnding, *, top: int = 10) -> None:
    """Leaderboard, verdict, where things are, and how to look at them."""
    sel = result.selection
    if sel is not None:
        board = sel.leaderboard
        console.print(leaderboard_table(board, top=top, width=console.width))
        fam = Table(title="Best per family")
        for col in ("family", *[c for c in sel.best_per_family.columns if c.startswith("cv_")]):
            fam.add_column(col, no_wrap=True)
        for _, row in sel.best_per_family.iterrows():
            fam.add_row(
                *[fmt(row[c]) for c in ("family", *[c for c in row.index if c.startswith("cv_")])]
            )
        console.print(fam)
        v = sel.verdict
        metrics = Table(title="Hold-out validation")
        for col in ("metric", "hold-out", "threshold", "dummy"):
            metrics.add_column(col)
        for name, value in v.holdout.items():
            metrics.add_row(
                name, fmt(value), fmt(v.thresholds.get(name)), fmt(v.baseline.get(name))
            )
        console.print(metrics)
        if v.passed:
            console.print(
                f"[green bold]PASSED[/]: registered version {sel.model_version} "
                f"with alias 'candidate' ({sel.registered_uri})"
            )
        else:
            console.print("[red bold]FAILED validation[/]: the model was logged, not registered.")
            for failure in v.failures:
                console.print(f"  [red]-[/] {failure}")
    if result.message:
        console.print(result.message)
    console.print(f"Sweep directory: {result.paths.root}")
    console.print(f"MLflow parent run: {result.parent_run_id}")
    console.print("Next steps:")
    console.print(f"  open the MLflow UI: {mlflow_ui_command(result.tracking_uri)}")
    if sel is not None and sel.registered_uri:
        command = validate_command(model_uri=sel.registered_uri, tracking_uri=result.tracking_uri)
        console.print(f"  validate the candidate on new rows: {command}")
    if result.status == SweepStatus.INTERRUPTED:
        console.print(f"  resume: {resume_command(result.paths.root)}")


def print_sweeps(console: Console, sweeps: list[SweepSummary], *, storage: Path) -> None:
    """`hpsearch ls` output."""
    if not sweeps:
        console.print(f"no sweeps in {storage}")
        return
    table = Table(title=f"Sweeps in {storage}")
    for col in ("name", "status", "trials", "best", "verdict", "version", "age", "directory"):
        table.add_column(col, overflow="fold")
    for s in sweeps:
        best = "-" if s.best is None else f"{s.metric} {s.best:.4f}"
        table.add_row(
            s.name, s.status, f"{s.done}/{s.total}", best, s.verdict, s.version or "-",
            _age(s.age_s), str(s.directory),
        )  # fmt: skip
    console.print(table)


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def print_validation(console: Console, report: ValidationReport) -> None:
    """`hpsearch validate` output: every metric against its threshold."""
    table = Table(title=f"{report.model_uri} on {report.n_rows} rows ({report.task})")
    if report.ignored:
        console.print(
            f"ignored column(s) {', '.join(report.ignored)}: the sweep declared them as id, "
            "group, time or drop columns, not features"
        )
    for col in ("metric", "value", "threshold", "result"):
        table.add_column(col)
    failing = {f.split(" = ")[0] for f in report.failures}
    for name, value in report.scores.items():
        threshold = report.thresholds.get(name)
        verdict = "-" if threshold is None else ("FAIL" if name in failing else "pass")
        table.add_row(name, fmt(value), fmt(threshold), verdict)
    console.print(table)
    if report.passed:
        console.print("[green bold]PASSED[/] every threshold.")
    else:
        console.print("[red bold]FAILED[/]: " + "; ".join(report.failures))
