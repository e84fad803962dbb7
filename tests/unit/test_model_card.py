"""model_card.render_card against a golden file, and the card of a failed verdict.

To regenerate the golden file after an intended change: ``HPSEARCH_UPDATE_GOLDEN=1 pytest
tests/unit/test_model_card.py``, then review the diff by eye.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from hpsearch.prepare.leakage import Finding, LeakageReport
from hpsearch.report.model_card import CardData, render_card
from hpsearch.report.preprocessing import ColumnGroup
from hpsearch.report.uncertainty import Interval

GOLDEN = Path(__file__).parent / "golden" / "model_card.md"

SECTIONS = (
    "## Model",
    "## Data",
    "### Leakage checks",
    "### Features",
    "### Fitted preprocessing (inside each fold, and in this model)",
    "## Search",
    "### Cross-validation (development data)",
    "## Hold-out validation",
    "## Plots",
    "## Intended use and limitations",
    "## Environment",
)


def _card(**changes: object) -> CardData:
    card = CardData(
        name="credit-risk",
        task="classification",
        data_source="/data/credit.csv",
        target="default",
        n_development=800,
        n_holdout=200,
        n_features=12,
        development_fingerprint="0123456789abcdef0123456789abcdef",
        holdout_fingerprint="fedcba9876543210fedcba9876543210",
        split_kind="stratified",
        leakage=LeakageReport(
            findings=(
                Finding("id_overlap", "info", "passed: no id is in both parts"),
                Finding(
                    "proxy_feature",
                    "warning",
                    "column 'balance' alone predicts the target with ROC AUC 0.9700",
                    columns=("balance",),
                ),
            )
        ),
        families=("logistic_regression", "random_forest"),
        trials_total=40,
        trials_completed=30,
        trials_pruned=8,
        trials_failed=2,
        folds=5,
        seed=42,
        primary="roc_auc",
        best_trial="run_0017",
        best_family="random_forest",
        best_params={"model__n_estimators": 300, "model__max_features": "sqrt"},
        cv_means={"roc_auc": 0.91234, "accuracy": 0.85},
        cv_stds={"roc_auc": 0.012, "accuracy": 0.02},
        holdout={"roc_auc": 0.905, "accuracy": 0.84, "f1": 0.8312},
        baseline={"roc_auc": 0.5, "accuracy": 0.7, "f1": 0.58},
        thresholds={"roc_auc": 0.8, "accuracy": 0.75},
        failures=(),
        model_uri="models:/credit-risk/3",
        registered="credit-risk@candidate (version 3)",
        environment={"python": "3.11.7", "platform": "Linux-x86_64"},
        packages={"scikit-learn": "1.9.0", "ray": "2.60.0"},
        git_commit="a1b2c3d",
        created="2026-12-03 07:00 UTC",
        best_number=17,
        features=[
            ("age", "numeric", "numeric dtype (int64): impute, scale"),
            ("region", "categorical", "4 distinct values: one-hot"),
        ],
        preprocessing=[
            ColumnGroup(("age",), "SimpleImputer(strategy=median) -> StandardScaler", 1),
            ColumnGroup(("region",), "SimpleImputer(strategy=most_frequent) -> OneHotEncoder", 4),
        ],
        intervals={"roc_auc": Interval(0.87, 0.94, 1000), "accuracy": Interval(0.79, 0.89, 1000)},
        plots=["history.png", "families.png"],
        plot_notes=["no importance plot: 3 completed trial(s) of `random_forest`, fewer than 10"],
    )
    return dataclasses.replace(card, **changes)  # type: ignore[arg-type]


def test_render_matches_golden_file() -> None:
    rendered = render_card(_card())
    if os.environ.get("HPSEARCH_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")


def test_golden_card_has_every_section_in_order() -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    positions = [text.index(f"\n{heading}\n") for heading in SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("# Model card: credit-risk\n")
    assert "**Verdict: PASSED**" in text
    assert "Registered as `credit-risk@candidate (version 3)`." in text
    assert "Written 2026-12-03 07:00 UTC." in text
    assert "family `random_forest`, trial 17 (id `run_0017`)" in text
    assert "| roc_auc | 0.9050 | 0.8700 to 0.9400 | 0.8000 | 0.5000 |" in text
    assert "| `region` | categorical | 4 distinct values: one-hot |" in text
    assert "| `region` | SimpleImputer(strategy=most_frequent) -> OneHotEncoder | 4 |" in text


def test_render_is_deterministic() -> None:
    assert render_card(_card()) == render_card(_card())


def test_failed_verdict_lists_failures_and_is_not_registered() -> None:
    failures = (
        "accuracy = 0.7000, required >= 0.75",
        "roc_auc = 0.5000 does not beat the dummy baseline (0.5000)",
    )
    text = render_card(
        _card(
            failures=failures,
            registered=None,
            holdout={"roc_auc": 0.5, "accuracy": 0.7},
        )
    )
    assert "**Verdict: FAILED** hold-out validation. Not registered." in text
    assert "Registered as" not in text
    block = text.split("Failing checks:\n\n", 1)[1]
    assert block.startswith(f"- {failures[0]}\n- {failures[1]}\n")
    # the failure list belongs to the hold-out section, before the limitations
    assert text.index("Failing checks:") > text.index("## Hold-out validation")
    assert text.index("Failing checks:") < text.index("## Intended use and limitations")


def test_passed_card_has_no_failing_checks() -> None:
    assert "Failing checks" not in render_card(_card())


def test_empty_parts_render_placeholders() -> None:
    text = render_card(
        _card(
            best_params={},
            leakage=LeakageReport(findings=()),
            model_uri=None,
            registered=None,
            git_commit=None,
        )
    )
    assert "  - (defaults)" in text
    assert "- no findings" in text
    assert "- Model URI: `-`" in text
    assert "- Code version: `not a git checkout`" in text
    assert "**Verdict: PASSED** hold-out validation. Not registered." in text


def test_table_cells_escape_pipes_and_format_numbers() -> None:
    text = render_card(_card(holdout={"roc_auc": 0.123456}, thresholds={}, baseline={}))
    assert "| roc_auc | 0.1235 | 0.8700 to 0.9400 | - | - |" in text
    piped = render_card(_card(cv_means={"a|b": 1.0}, cv_stds={}))
    assert "| a\\|b | 1.0000 | - |" in piped


def test_a_card_for_refit_all_says_which_rows_each_figure_comes_from() -> None:
    card = render_card(dataclasses.replace(_card(), refit_rows="all"))
    assert "Fitted on: every row (800 development + 200 hold-out; `selection.refit: all`)" in card
    assert "The hold-out figures below belong to the same configuration refit on the" in card
