"""A sweep's own pipeline must fit and be savable before any trial runs.

The registered model is saved with skops, which cannot save every Python object (a pandas
``Series`` kept as a fitted attribute, for one). hpsearch's own pipelines are known to
save; a user's is fitted once on a few development rows at preflight and saved to memory,
so a pipeline that would fail at registration is refused (exit 2) before the search.
"""

from __future__ import annotations

import pandas as pd

from hpsearch.errors import BadInputError
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.model import SearchSpace
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.spaces.trust import untrusted

PROBE_ROWS = 200


def check_savable(
    *, space: SearchSpace, X: pd.DataFrame, y: pd.Series, column_types: ColumnTypes
) -> None:
    """Fit ``space``'s pipeline with its defaults on the first rows of ``X`` and save it."""
    if space.pipeline is None:
        return
    import skops.io as sio  # 1.7 s of imports: only for a sweep with its own pipeline

    where = f"pipeline {space.pipeline.reference} with family {space.family!r}"
    pipeline = build_pipeline(space=space, params={}, column_types=column_types, seed=0)
    rows = min(PROBE_ROWS, len(X))
    try:
        pipeline.fit(X.head(rows), y.head(rows))
    except Exception as exc:
        raise BadInputError(
            f"{where}: fitting it on the first {rows} development rows failed: "
            f"{type(exc).__name__}: {str(exc).rstrip('.')}. Fix: make it fit on these "
            "columns (the data's columns minus the target, id, group, time and drop columns)."
        ) from None
    try:
        found = sio.get_untrusted_types(data=sio.dumps(pipeline))
    except Exception as exc:
        raise BadInputError(
            f"{where}: the fitted pipeline cannot be saved with skops, which the registered "
            f"model is saved with: {type(exc).__name__}: {str(exc).rstrip('.')}. Fix: keep "
            "fitted attributes as numpy arrays, plain Python values or scikit-learn objects "
            "(a pandas Series or DataFrame cannot be saved)."
        ) from None
    unknown = untrusted(found, extra=space.trusted_types, own=(space.pipeline.top_level,))
    if unknown:
        raise BadInputError(
            f"{where}: once fitted, it holds {', '.join(unknown)}, which the registered model "
            f"could not be loaded with safely. Fix: trust it with `trusted_types: "
            f"[{unknown[0]}]` in the space file of {space.family!r}, or avoid the type."
        )
