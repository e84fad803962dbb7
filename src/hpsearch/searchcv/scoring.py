"""``SearchCV``'s scorers (single or multi-metric, with the metric that selects) and its
rules for failed fits, both as scikit-learn's searches have them."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring

from hpsearch.searchcv.evaluate import CandidateResult


def make_scorers(
    *, estimator: Any, scoring: Any, refit: bool | str | Callable[..., int]
) -> tuple[dict[str, Any], str, bool]:
    """(scorers by name, the metric that selects, multimetric); a single metric is
    named ``score``."""
    if scoring is None or isinstance(scoring, str) or callable(scoring):
        return {"score": check_scoring(estimator, scoring=scoring)}, "score", False
    if isinstance(scoring, Mapping):
        named = dict(scoring)
    elif isinstance(scoring, (list, tuple, set)):
        named = {str(s): s for s in scoring}
    else:
        raise ValueError(f"scoring must be a str, callable, list or dict; got {scoring!r}")
    scorers = {name: check_scoring(estimator, scoring=s) for name, s in named.items()}
    if isinstance(refit, str):
        if refit not in scorers:
            raise ValueError(
                f"refit={refit!r} is not one of the scorers {sorted(scorers)}. For "
                "multi-metric scoring, refit must name the scorer that selects the best "
                "parameters, or be False or a callable."
            )
        return scorers, refit, True
    if refit is True:
        raise ValueError(
            "For multi-metric scoring, refit must be the name of a scorer (one of "
            f"{sorted(scorers)}), False or a callable; got refit=True."
        )
    return scorers, next(iter(scorers)), True


def check_failures(results: Sequence[CandidateResult], *, error_score: Any) -> None:
    """As scikit-learn: every fit failed is an error, some failed a warning."""
    failed = [r for r in results if r.fit_failures]
    if not failed:
        return
    if error_score == "raise":
        raise ValueError(f"a fit failed (error_score='raise'):\n{failed[0].error}")
    fits = sum(len(r.fit_times) for r in results)
    failures = sum(r.fit_failures for r in results)
    if failures == fits:
        raise ValueError(
            f"All the {fits} fits failed ({len(results)} candidates). Below is the first "
            f"error:\n{failed[0].error}"
        )
    warnings.warn(
        f"{failures} of {fits} fits failed; their scores are error_score={error_score!r}. "
        f"The first error:\n{failed[0].error}",
        FitFailedWarning,
        stacklevel=4,
    )
