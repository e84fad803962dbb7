"""data.py: loading, quality checks, the hold-out split and fingerprints, on real files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from factories import mixed_classification_frame, regression_frame, write_sweep
from hpsearch.config import SweepConfig, load_sweep
from hpsearch.errors import BadInputError, LeakageError
from hpsearch.prepare.fingerprint import fingerprint
from hpsearch.prepare.load import load_frame
from hpsearch.prepare.quality import id_like_columns
from hpsearch.prepare.split import SplitData, prepare_data


def _config(tmp_path: Path, **sections: Any) -> SweepConfig:
    return load_sweep(write_sweep(tmp_path, **sections))


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def _prepare(tmp_path: Path, frame: pd.DataFrame, **sections: Any) -> SplitData:
    data = {"source": _csv(tmp_path, frame), **sections.pop("data", {})}
    return prepare_data(_config(tmp_path, data=data, **sections))


def _all_ids(split: SplitData) -> list[str]:
    return [*split.development.row_ids, *split.holdout.row_ids]


def test_csv_with_string_categoricals_and_missing_values(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=400, n_classes=3, missing=0.05)
    split = _prepare(tmp_path, frame)

    dev, hold = split.development, split.holdout
    assert split.split_kind == "stratified"
    assert (dev.n_rows, hold.n_rows) == (320, 80)
    assert "target" not in dev.X.columns and list(dev.X.columns) == list(hold.X.columns)
    assert set(split.column_types.categorical) == {"color", "city"}
    assert set(split.column_types.numeric) == {"num_a", "num_b", "num_c", "noise", "visits"}
    assert dev.X["color"].isna().sum() > 0  # missing values reach the pipeline's imputer
    assert sorted(_all_ids(split), key=int) == [str(i) for i in range(400)]
    assert not set(dev.row_ids) & set(hold.row_ids)
    # row ids are positions in the file: the target values line up with the file
    assert list(hold.y) == [frame["target"][int(i)] for i in hold.row_ids]
    assert split.quality.class_counts == (("class_0", 133), ("class_1", 133), ("class_2", 134))
    dev_share = dev.y.value_counts(normalize=True)
    hold_share = hold.y.value_counts(normalize=True)
    assert np.allclose(dev_share.sort_index(), hold_share.sort_index(), atol=0.02)


def test_binary_string_labels(tmp_path: Path) -> None:
    split = _prepare(tmp_path, mixed_classification_frame(n_rows=200, n_classes=2))

    assert split.quality.class_counts == (("class_0", 100), ("class_1", 100))
    assert split.holdout.y.value_counts().to_dict() == {"class_0": 20, "class_1": 20}


def test_parquet_regression(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    regression_frame(n_rows=300).to_parquet(path)
    config = _config(
        tmp_path, task="regression", data={"source": str(path)}, holdout={"fraction": 0.25}
    )

    split = prepare_data(config)

    assert split.split_kind == "random"
    assert (split.development.n_rows, split.holdout.n_rows) == (225, 75)
    assert pd.api.types.is_float_dtype(split.development.y)
    assert split.quality.class_counts is None
    assert split.column_types.categorical == ("region",)


@pytest.mark.parametrize(
    ("name", "task", "n_rows"),
    [
        ("breast_cancer", "classification", 569),
        ("iris", "classification", 150),
        ("wine", "classification", 178),
        ("digits", "classification", 1797),
        ("diabetes", "regression", 442),
    ],
)
def test_sklearn_sources(tmp_path: Path, name: str, task: str, n_rows: int) -> None:
    config = _config(tmp_path, task=task, data={"source": f"sklearn:{name}"})

    split = prepare_data(config)

    assert split.quality.n_rows == n_rows
    assert split.development.n_rows + split.holdout.n_rows <= n_rows
    assert "target" not in split.development.X.columns
    if task == "classification":
        assert pd.api.types.is_integer_dtype(split.development.y)
    assert split.column_types.categorical == ()


def test_load_frame_bundled_keeps_int_labels() -> None:
    frame = load_frame("sklearn:iris")

    assert frame.shape == (150, 5)
    assert sorted(frame["target"].unique()) == [0, 1, 2]


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5])
def test_holdout_fraction_respected(tmp_path: Path, fraction: float) -> None:
    split = _prepare(
        tmp_path, mixed_classification_frame(n_rows=300), holdout={"fraction": fraction}
    )

    assert split.holdout.n_rows == int(np.ceil(300 * fraction))


def test_time_split_holds_out_latest_rows(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=300)
    days = pd.date_range("2024-01-01", periods=300, freq="D")
    shuffled = np.random.default_rng(1).permutation(300)
    frame["day"] = [str(days[i].date()) for i in shuffled]

    split = _prepare(tmp_path, frame, data={"time_column": "day"})

    dev, hold = split.development, split.holdout
    assert split.split_kind == "time"
    assert "day" not in dev.X.columns
    assert dev.times is not None and hold.times is not None
    assert dev.times.max() < hold.times.min()
    assert dev.times.is_monotonic_increasing and hold.times.is_monotonic_increasing
    latest = {str(i) for i in np.argsort(shuffled)[-60:]}
    assert set(hold.row_ids) == latest


def test_group_split_keeps_each_group_on_one_side(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=400)
    frame["customer"] = [f"c{i % 50}" for i in range(400)]

    split = _prepare(tmp_path, frame, data={"group_column": "customer"})

    dev, hold = split.development, split.holdout
    assert split.split_kind == "group"
    assert "customer" not in dev.X.columns
    assert dev.groups is not None and hold.groups is not None
    assert not set(dev.groups) & set(hold.groups)
    assert 0.1 <= hold.n_rows / 400 <= 0.3
    assert set(hold.y) == set(dev.y)


def test_group_split_regression(tmp_path: Path) -> None:
    frame = regression_frame(n_rows=300)
    frame["site"] = [f"s{i % 30}" for i in range(300)]

    split = _prepare(tmp_path, frame, task="regression", data={"group_column": "site"})

    assert split.development.groups is not None and split.holdout.groups is not None
    assert not set(split.development.groups) & set(split.holdout.groups)


def _with_duplicates(n_dup: int = 12) -> pd.DataFrame:
    frame = mixed_classification_frame(n_rows=300, missing=0.0)
    copies = frame.iloc[:n_dup].copy()
    copies["target"] = frame["target"].iloc[n_dup : 2 * n_dup].to_numpy()  # target ignored
    return pd.concat([frame, copies], ignore_index=True)


def test_duplicates_grouped_by_default(tmp_path: Path) -> None:
    split = _prepare(tmp_path, _with_duplicates(12))

    assert split.quality.duplicate_rows == 12
    assert split.quality.duplicate_policy == "group"
    assert split.split_kind == "group"
    assert any("12 row(s) duplicate" in w for w in split.quality.warnings)
    holdout = set(split.holdout.row_ids)
    for original in range(12):
        copy = 300 + original
        assert (str(original) in holdout) == (str(copy) in holdout)
    assert split.development.groups is not None and split.holdout.groups is not None
    assert not set(split.development.groups) & set(split.holdout.groups)


def test_duplicates_merge_declared_groups(tmp_path: Path) -> None:
    frame = _with_duplicates(12)
    frame["customer"] = [f"c{i % 40}" for i in range(len(frame))]

    split = _prepare(tmp_path, frame, data={"group_column": "customer"})

    holdout = set(split.holdout.row_ids)
    for original in range(12):
        assert (str(original) in holdout) == (str(300 + original) in holdout)


def test_duplicates_error_policy(tmp_path: Path) -> None:
    with pytest.raises(LeakageError, match=r"12 row\(s\).*'300', '301'"):
        _prepare(tmp_path, _with_duplicates(12), leakage={"duplicate_rows": "error"})


def test_duplicates_drop_policy(tmp_path: Path) -> None:
    split = _prepare(tmp_path, _with_duplicates(12), leakage={"duplicate_rows": "drop"})

    assert split.quality.duplicate_rows == 12
    assert split.split_kind == "stratified"
    assert split.development.groups is None
    ids = set(_all_ids(split))
    assert len(ids) == 300 and "0" in ids and "300" not in ids
    assert any("dropped 12 row(s)" in w for w in split.quality.warnings)


def test_fingerprints_stable_and_content_sensitive(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    first = _prepare(tmp_path, frame)
    second = _prepare(tmp_path, frame)
    changed = frame.copy()
    changed.loc[changed.index[-1], "num_a"] = 123.0
    third = _prepare(tmp_path, changed)

    assert first.development.fingerprint == second.development.fingerprint
    assert first.holdout.fingerprint == second.holdout.fingerprint
    assert len(first.development.fingerprint) == 64
    assert first.development.fingerprint != first.holdout.fingerprint
    assert (first.development.fingerprint, first.holdout.fingerprint) != (
        third.development.fingerprint,
        third.holdout.fingerprint,
    )


def test_fingerprint_ignores_index_but_not_names() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    y = pd.Series([0, 1], name="target")

    same = fingerprint(X.set_axis([10, 11]), y.set_axis([10, 11]))
    assert fingerprint(X, y) == same
    assert fingerprint(X, y) != fingerprint(X.rename(columns={"a": "c"}), y)
    assert fingerprint(X, y) != fingerprint(X, y.rename("label"))


def test_id_column_gives_row_ids(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["uid"] = [f"u{i:04d}" for i in range(200)]

    split = _prepare(tmp_path, frame, data={"id_column": "uid"})

    assert "uid" not in split.development.X.columns
    assert sorted(_all_ids(split)) == sorted(frame["uid"])
    assert "uid" not in split.quality.id_like_columns


def test_repeated_id_values_rejected(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["uid"] = [f"u{i % 150}" for i in range(200)]

    with pytest.raises(BadInputError, match=r"data.id_column 'uid' must identify each row"):
        _prepare(tmp_path, frame, data={"id_column": "uid"})


def test_missing_target_column_lists_columns(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=100).rename(columns={"target": "label"})

    with pytest.raises(BadInputError, match=r"target column 'target'.*available columns:.*'label'"):
        _prepare(tmp_path, frame)


def test_named_columns_absent(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=100)
    data = {"id_column": "uid", "drop_columns": ["color", "zip"]}

    with pytest.raises(BadInputError) as caught:
        _prepare(tmp_path, frame, data=data, leakage={"deny_columns": ["refund"]})

    message = str(caught.value)
    assert "data.id_column='uid'" in message and "data.drop_columns='zip'" in message
    assert "'num_a'" in message
    assert "'color'" not in message.split(";")[0]
    # a deny list is a shared list of forbidden names: one absent from this data is fine
    assert "refund" not in message


def test_missing_target_values_counted(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=100)
    frame.loc[[3, 7, 9], "target"] = None

    expected = r"3 missing value\(s\) of 100 \(row positions '3', '7', '9'\)"
    with pytest.raises(BadInputError, match=expected):
        _prepare(tmp_path, frame)


def test_too_few_rows_per_class(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame.loc[:3, "target"] = "rare"

    with pytest.raises(BadInputError) as caught:
        _prepare(tmp_path, frame, cv={"folds": 5})

    message = str(caught.value)
    assert "class 'rare' has 4" in message
    assert "cv.folds=5" in message and "set cv.folds to 3 or fewer" in message


def test_too_few_rows_overall(tmp_path: Path) -> None:
    frame = regression_frame(n_rows=9)

    with pytest.raises(BadInputError, match=r"9 usable rows are too few"):
        _prepare(tmp_path, frame, task="regression", cv={"folds": 5})


def test_regression_needs_numeric_target(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"task is regression but target column 'target'"):
        _prepare(tmp_path, mixed_classification_frame(n_rows=100), task="regression")


def test_classification_rejects_continuous_target(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"continuous values.*set task: regression"):
        _prepare(tmp_path, regression_frame(n_rows=100))


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"

    with pytest.raises(BadInputError, match=r"nope.csv does not exist. Fix:"):
        prepare_data(_config(tmp_path, data={"source": str(missing)}))


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b,target\n")

    for path in (empty, header_only):
        with pytest.raises(BadInputError, match=r"is empty.*Fix:"):
            load_frame(str(path))


def test_unsupported_content(tmp_path: Path) -> None:
    fake = tmp_path / "data.parquet"
    fake.write_text("a,b\n1,2\n")

    with pytest.raises(BadInputError, match=r"could not be read as Parquet.*Fix:"):
        load_frame(str(fake))
    with pytest.raises(BadInputError, match=r"unsupported file type '.txt'"):
        load_frame(str(tmp_path / "data.txt"))


def test_constant_and_all_missing_columns_dropped(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["version"] = 3
    frame["site"] = "main"
    frame["notes"] = np.nan

    split = _prepare(tmp_path, frame)

    assert split.quality.dropped_constant == ("version", "site")
    assert split.quality.dropped_all_missing == ("notes",)
    assert not {"version", "site", "notes"} & set(split.development.X.columns)
    assert any("'notes'" in w for w in split.quality.warnings)


def test_id_like_columns_warned_not_dropped(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["record"] = np.random.default_rng(0).permutation(200)
    frame["email"] = [f"user{i}@example.com" for i in range(200)]

    split = _prepare(tmp_path, frame)

    assert split.quality.id_like_columns == ("record", "email")
    assert {"record", "email"} <= set(split.development.X.columns)
    assert any("'record', 'email'" in w and "identifiers" in w for w in split.quality.warnings)


def test_id_like_ignores_continuous_floats() -> None:
    frame = pd.DataFrame({"x": np.linspace(0.1, 9.9, 50), "n": np.arange(50) * 7})

    assert id_like_columns(frame) == ("n",)
