"""A Markdown model card for the selected model: data, search, scores, verdict, limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hpsearch.prepare.findings import LeakageReport
from hpsearch.report.preprocessing import ColumnGroup, shown_columns
from hpsearch.report.uncertainty import LEVEL, Interval


@dataclass(frozen=True)
class CardData:
    """Everything the card states; built by the sweep runner, rendered here."""

    name: str
    task: str
    data_source: str
    target: str
    n_development: int
    n_holdout: int
    n_features: int
    development_fingerprint: str
    holdout_fingerprint: str
    split_kind: str
    leakage: LeakageReport
    families: Sequence[str]
    trials_total: int
    trials_completed: int
    trials_pruned: int
    trials_failed: int
    folds: int
    seed: int
    primary: str
    best_trial: str
    best_family: str
    best_params: Mapping[str, object]
    cv_means: Mapping[str, float]
    cv_stds: Mapping[str, float]
    holdout: Mapping[str, float]
    baseline: Mapping[str, float]
    thresholds: Mapping[str, float]
    failures: Sequence[str]
    model_uri: str | None
    registered: str | None
    environment: Mapping[str, str]
    packages: Mapping[str, str]
    git_commit: str | None
    refit_rows: str = "development"  # "development" or "all" (development + hold-out)
    created: str = ""  # UTC date and time the card was written
    best_number: int | None = None  # the trial's number, as the console and MLflow show it
    features: Sequence[tuple[str, str, str]] = ()  # (column, kind, why), as `check` prints
    preprocessing: Sequence[ColumnGroup] = ()
    intervals: Mapping[str, Interval] = field(default_factory=dict)
    plots: Sequence[str] = ()
    plot_notes: Sequence[str] = ()  # e.g. why the importance plot is missing


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return out


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("|", "\\|")


def _model_section(card: CardData) -> list[str]:
    verdict = "PASSED" if not card.failures else "FAILED"
    lines = [f"# Model card: {card.name}", ""]
    if card.created:
        lines += [f"Written {card.created}.", ""]
    lines += [
        f"**Verdict: {verdict}** hold-out validation."
        + (f" Registered as `{card.registered}`." if card.registered else " Not registered."),
        "",
        "## Model",
        "",
        f"- Task: {card.task}; family `{card.best_family}`, {trial_label(card)}",
        f"- Model URI: `{card.model_uri or '-'}`",
        _fitted_on(card),
        "- Parameters:",
    ]
    lines += [f"  - `{k}` = `{v}`" for k, v in sorted(card.best_params.items())] or [
        "  - (defaults)"
    ]
    return lines


def trial_label(card: CardData) -> str:
    """``trial 3 (id f15989fb)``: the number the console counts and the id MLflow tags."""
    if card.best_number is None:
        return f"trial id `{card.best_trial}`"
    return f"trial {card.best_number} (id `{card.best_trial}`)"


def _fitted_on(card: CardData) -> str:
    if card.refit_rows == "all":
        return (
            f"- Fitted on: every row ({card.n_development} development + {card.n_holdout} "
            "hold-out; `selection.refit: all`). The hold-out figures below belong to the "
            "same configuration refit on the development rows only, judged before the "
            "hold-out rows were added; this model itself has no unseen-data estimate."
        )
    return (
        f"- Fitted on: the {card.n_development} development rows (`selection.refit: development`)"
    )


def _data_section(card: CardData) -> list[str]:
    lines = ["", "## Data", ""]
    lines += [
        f"- Source: `{card.data_source}`, target `{card.target}`, {card.n_features} features",
        f"- Development rows: {card.n_development} "
        f"(fingerprint `{card.development_fingerprint[:16]}`)",
        f"- Hold-out rows: {card.n_holdout} (fingerprint `{card.holdout_fingerprint[:16]}`), "
        f"split: {card.split_kind}; the search never saw them",
        "",
        "### Leakage checks",
        "",
    ]
    lines += [f"- [{f.severity}] {f.check}: {f.message}" for f in card.leakage.findings] or [
        "- no findings"
    ]
    if card.features:
        lines += ["", "### Features", ""]
        lines += _table(["column", "kind", "why"], [[f"`{n}`", k, r] for n, k, r in card.features])
    if card.preprocessing:
        lines += ["", "### Fitted preprocessing (inside each fold, and in this model)", ""]
        lines += _table(
            ["columns", "became", "features out"],
            [[shown_columns(g.columns), g.steps, g.outputs] for g in card.preprocessing],
        )
    return lines


def _search_section(card: CardData) -> list[str]:
    lines = ["", "## Search", ""]
    lines += [
        f"- Families: {', '.join(card.families)}",
        f"- Trials: {card.trials_total} ({card.trials_completed} completed, "
        f"{card.trials_pruned} pruned, {card.trials_failed} failed)",
        f"- {card.folds}-fold cross-validation, seed {card.seed}, primary metric `{card.primary}`",
        "",
        "### Cross-validation (development data)",
        "",
    ]
    lines += _table(
        ["metric", "mean", "std"],
        [[m, card.cv_means[m], card.cv_stds.get(m)] for m in card.cv_means],
    )
    return lines


def _holdout_section(card: CardData) -> list[str]:
    lines = ["", "## Hold-out validation", ""]
    level = f"{LEVEL:.0%} interval"
    lines += _table(
        ["metric", "hold-out", level, "threshold", "dummy baseline"],
        [
            [m, v, _interval(card.intervals.get(m)), card.thresholds.get(m), card.baseline.get(m)]
            for m, v in card.holdout.items()
        ],
    )
    if card.intervals:
        lines += [
            "",
            f"Intervals: percentile bootstrap over the {card.n_holdout} hold-out rows "
            "(the model's predictions resampled; seeded by the sweep).",
        ]
    if card.failures:
        lines += ["", "Failing checks:", ""] + [f"- {f}" for f in card.failures]
    return lines


def _interval(interval: Interval | None) -> str:
    return "-" if interval is None else f"{interval.low:.4f} to {interval.high:.4f}"


def _plots_section(card: CardData) -> list[str]:
    if not card.plots and not card.plot_notes:
        return []
    lines = ["", "## Plots", ""]
    lines += [f"- `plots/{name}`" for name in card.plots]
    lines += [f"- {note}" for note in card.plot_notes]
    return lines


def _limits_section(card: CardData) -> list[str]:
    lines = [
        "",
        "## Intended use and limitations",
        "",
        f"- Intended for {card.task} on data drawn like `{card.data_source}`; scores hold for "
        "that distribution only.",
        "- The hold-out estimate comes from one split; its uncertainty grows as the hold-out "
        "set shrinks.",
        "- Selection used cross-validation on development data only; the hold-out set was "
        "read once, after the search.",
        "- Not checked: fairness across subgroups, drift over time, calibration.",
        "",
        "## Environment",
        "",
        f"- Code version: `{card.git_commit or 'not a git checkout'}`",
    ]
    lines += [f"- {k}: {v}" for k, v in card.environment.items()]
    lines += [f"- {k} {v}" for k, v in card.packages.items()]
    return lines


def render_card(card: CardData) -> str:
    """The card as Markdown. Deterministic for the same input (golden-file tested)."""
    sections = (
        _model_section, _data_section, _search_section, _holdout_section, _plots_section,
        _limits_section,
    )  # fmt: skip
    lines = [line for section in sections for line in section(card)]
    return "\n".join(lines) + "\n"
