"""A classifier that fits on label codes and answers in the original labels.

XGBoost's classifiers accept only the labels ``0 .. k-1``; sweeps keep the target as the
data has it (strings, booleans, any integers), and the registered model must predict those
same labels. ``EncodedLabels`` encodes ``y`` for the wrapped classifier's ``fit`` and maps
its predictions back; ``classes_`` are the original labels, in the order of
``predict_proba``'s columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.preprocessing import LabelEncoder


class EncodedLabels(ClassifierMixin, BaseEstimator):
    """Wraps ``classifier`` (its parameters are ``classifier__<name>``)."""

    def __init__(self, classifier: Any = None) -> None:
        self.classifier = classifier

    def fit(self, X: Any, y: Any, **fit_params: Any) -> EncodedLabels:
        """Fit on codes; an ``eval_set`` (early stopping) has its labels encoded too."""
        self.encoder_ = LabelEncoder().fit(np.asarray(y))
        self.classes_ = self.encoder_.classes_
        if "eval_set" in fit_params:
            fit_params["eval_set"] = [
                (X_eval, self.encoder_.transform(np.asarray(y_eval)))
                for X_eval, y_eval in fit_params["eval_set"]
            ]
        self.classifier_ = clone(self.classifier).fit(
            X, self.encoder_.transform(np.asarray(y)), **fit_params
        )
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.encoder_.inverse_transform(np.asarray(self.classifier_.predict(X))))

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.classifier_.predict_proba(X))

    @property
    def n_features_in_(self) -> int:
        return int(self.classifier_.n_features_in_)
