"""Inside a Ray job: keep the job's ``working_dir`` for the driver only.

Ray's job supervisor passes the job's config (its runtime env included) to the driver in a
private environment variable. The submitted working_dir (sweep file, spaces, data) is read
by the driver alone; trials get the data through the object store. Left in the job's
runtime env, every trial actor unpacks it first: actors then start slower than trials
finish, Tune keeps re-using the one warm actor, and the sweep runs one trial at a time
(seen on a 2-node cluster here). No public API sets a runtime env for the driver only.
"""

from __future__ import annotations

import json
import os

from hpsearch.compat.versions import require_version

JOB_CONFIG_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"  # set by Ray's job supervisor for the driver
KNOWN_RAY = ">=2.60,<2.61"


def detach_job_working_dir() -> bool:
    """Drop ``working_dir`` from the job config the driver passes on; True when it did."""
    raw = os.environ.get(JOB_CONFIG_ENV)
    if not raw:
        return False
    require_version(distribution="ray", known=KNOWN_RAY, purpose="job working_dir detachment")
    job_config = json.loads(raw)
    runtime_env = job_config.get("runtime_env") or {}
    if runtime_env.pop("working_dir", None) is None:
        return False
    job_config["runtime_env"] = runtime_env
    os.environ[JOB_CONFIG_ENV] = json.dumps(job_config)
    return True
