"""A new SQLite tracking store copied from an empty, already migrated one.

Creating a SQLite store runs all of MLflow's alembic migrations: about 2 s here, on the
path to a new user's first trial. The first store created on a machine is kept, empty, as
a template under ``$XDG_CACHE_HOME/hpsearch`` (keyed by the MLflow and SQLAlchemy versions);
each later new store is a copy of it. A fresh store holds nothing but the schema, the
``default`` workspace and the ``Default`` experiment, whose artifact location and times
depend on where and when it is made: the copy gets those rewritten to what MLflow would
have written (``<cwd>/mlruns/0``, now). A template that is not such a store (one alembic
version, the Default experiment only) is not used: MLflow creates the store as usual.
Runs under the store's file lock (``store_lock``).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from importlib import metadata
from pathlib import Path

from hpsearch.tracking.store_lock import sqlite_path

logger = logging.getLogger(__name__)


def template_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = f"mlflow-{metadata.version('mlflow')}-sqlalchemy-{metadata.version('sqlalchemy')}"
    return Path(base) / "hpsearch" / f"{key}-empty.db"


def is_new_store(tracking_uri: str) -> bool:
    """A SQLite URI whose database file does not exist yet."""
    path = sqlite_path(tracking_uri)
    return path is not None and not path.exists()


def copy_template(tracking_uri: str) -> bool:
    """Make the new store from the template; False when there is none (or it fails)."""
    path, template = sqlite_path(tracking_uri), template_path()
    if path is None or not _is_store(template):
        return False
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(template, partial)
        now = int(time.time() * 1000)
        with sqlite3.connect(partial) as db:
            db.execute(
                "UPDATE experiments SET artifact_location = ?, creation_time = ?, "
                "last_update_time = ? WHERE experiment_id = 0",
                (str(Path.cwd() / "mlruns" / "0"), now, now),
            )
        db.close()
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        logger.debug("store template %s not used: %s", template, exc)
        return False
    return True


def _is_store(template: Path) -> bool:
    """A migrated, empty MLflow store: one alembic version, the Default experiment only."""
    if not template.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{template}?mode=ro", uri=True) as db:
            versions = db.execute("SELECT count(*) FROM alembic_version").fetchone()
            experiments = db.execute("SELECT experiment_id FROM experiments").fetchall()
        db.close()
    except sqlite3.Error:
        return False
    return versions == (1,) and experiments == [(0,)]


def keep_as_template(tracking_uri: str) -> None:
    """Save a store MLflow just created (empty, migrated) as the template, atomically."""
    path, template = sqlite_path(tracking_uri), template_path()
    if path is None or template.exists():
        return
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        partial = template.with_name(f".{template.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, partial)
        os.replace(partial, template)
    except OSError as exc:
        logger.debug("no store template at %s: %s", template, exc)
