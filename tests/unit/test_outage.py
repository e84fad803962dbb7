"""tracking/outage.py: which MLflow errors mean "the store is not there for us"."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException, RestException
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED, UNAUTHENTICATED

from hpsearch.errors import EXIT_BAD_INPUT, TrackingUnavailableError
from hpsearch.tracking.outage import is_store_unavailable, refused_access, store_required

URI = "http://mlflow.example:5000"


def _http(status: int) -> MlflowException:
    code = UNAUTHENTICATED if status == 401 else PERMISSION_DENIED
    return MlflowException(
        f"API request to endpoint /api/2.0/mlflow/runs/create failed with error code {status}"
        " != 200. Response body: 'You are not authenticated.'",
        error_code=code,
    )


def test_401_and_403_are_refused_access_and_other_errors_are_not() -> None:
    assert refused_access(_http(401)) == "UNAUTHENTICATED"
    assert refused_access(_http(403)) == "PERMISSION_DENIED"
    rest = RestException({"error_code": "PERMISSION_DENIED", "message": "no"})
    assert refused_access(rest) == "PERMISSION_DENIED"
    assert is_store_unavailable(_http(401))
    bad_param = MlflowException("bad value", error_code=0)
    assert refused_access(bad_param) is None and not is_store_unavailable(bad_param)
    wrapped = RuntimeError("while logging")
    wrapped.__cause__ = _http(401)
    assert refused_access(wrapped) == "UNAUTHENTICATED"


def test_refused_credentials_before_start_name_the_variables_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "carol")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret-value")
    with pytest.raises(TrackingUnavailableError) as caught, store_required(URI):
        raise _http(401)
    message = str(caught.value)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "HTTP 401" in message and "'carol'" in message and URI in message
    assert "MLFLOW_TRACKING_PASSWORD" in message and "s3cret-value" not in message
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    with pytest.raises(TrackingUnavailableError) as caught, store_required(URI):
        raise _http(403)
    assert "no MLFLOW_TRACKING_USERNAME set" in str(caught.value)
    assert "EDIT permission" in str(caught.value)


def test_other_errors_pass_through_store_required() -> None:
    with pytest.raises(ValueError, match="not a store problem"), store_required(URI):
        raise ValueError("not a store problem")
