"""MLflow's map of installed packages to their modules, built before ``log_model`` needs it.

``mlflow.sklearn.log_model`` checks that the running Python satisfies the model's pip
requirements; the first check builds a map of every installed distribution to the modules
it provides (``mlflow.utils.requirements_utils._init_packages_to_modules_map``, MLflow
3.17): 0.45 s of the conclusion here, a cache it keeps for the process. ``report.prefit``
builds it in the search's tail, while a CPU idles. MLflow has no public way to do so.
"""

from __future__ import annotations

import importlib

from hpsearch.compat.versions import require_attribute

KNOWN_MLFLOW = ">=3.17,<3.18"
_MODULE = "mlflow.utils.requirements_utils"
_NAME = "_init_packages_to_modules_map"


def build_requirements_map() -> None:
    """Build MLflow's package-to-module map now (what the first ``log_model`` would do)."""
    module = importlib.import_module(_MODULE)
    build = require_attribute(
        module, _NAME, distribution="mlflow", known=KNOWN_MLFLOW,
        purpose="package map built ahead of log_model (report/prefit)",
    )  # fmt: skip
    build()
