#!/usr/bin/env bash
# A real two-node Ray cluster on 127.0.0.1 plus an MLflow tracking server, for tests and demos.
#
#   scripts/local_cluster.sh up     # head + worker (1 CPU each), mlflow server; prints addresses
#   scripts/local_cluster.sh down   # stops exactly the processes `up` started (by pid)
#   scripts/local_cluster.sh kill-worker   # SIGKILL the worker node's processes (failure test)
#
# Environment (all optional):
#   HPS_CLUSTER_DIR   state folder (pids, temp dirs, mlflow store)   default .cluster
#   HPS_RAY_PORT      GCS port of the head                           default 6390
#   HPS_DASHBOARD_PORT  Ray dashboard / Jobs API port                default 8275
#   HPS_MLFLOW_PORT   MLflow server port                             default 5055
#   HPS_RAY_AUTH      "token" to start the cluster with Ray token authentication; the token
#                     is read from RAY_AUTH_TOKEN_PATH (default $HPS_CLUSTER_DIR/auth_token,
#                     written with a new random token when missing), never from ~/.ray
#   HPS_MLFLOW_AUTH   "basic" to run `mlflow server --app-name basic-auth`; its admin password
#                     is HPS_MLFLOW_ADMIN_PASSWORD (required then). The nodes inherit
#                     MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD from this script's
#                     environment, which is how job drivers on the head authenticate.
#   PYTHON_BIN_DIR    folder holding python/ray/mlflow               default .venv/bin
#
# Never runs `ray stop`: that would stop every Ray process on the host.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${HPS_CLUSTER_DIR:-$ROOT/.cluster}"
BIN="${PYTHON_BIN_DIR:-$ROOT/.venv/bin}"
RAY_PORT="${HPS_RAY_PORT:-6390}"
DASH_PORT="${HPS_DASHBOARD_PORT:-8275}"
MLFLOW_PORT="${HPS_MLFLOW_PORT:-5055}"
export RAY_USAGE_STATS_ENABLED=0
# the cluster's interpreter is this venv's: job entrypoints run `python` from its PATH
export PATH="$BIN:$PATH"
if [[ "${HPS_RAY_AUTH:-}" == "token" ]]; then
  export RAY_AUTH_MODE=token
  export RAY_AUTH_TOKEN_PATH="${RAY_AUTH_TOKEN_PATH:-$DIR/auth_token}"
else
  export RAY_AUTH_MODE=disabled
fi

# pids of every process whose command line mentions the node's own temp dir
node_pids() { pgrep -f -- "$1" || true; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 120); do
    if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "error: $name did not open port $port" >&2
  return 1
}

up() {
  if [[ -f "$DIR/pids" ]]; then
    echo "error: a local cluster is already up ($DIR/pids); run '$0 down' first" >&2
    exit 2
  fi
  mkdir -p "$DIR/head" "$DIR/worker" "$DIR/mlflow/artifacts"
  if [[ "$RAY_AUTH_MODE" == "token" && ! -s "$RAY_AUTH_TOKEN_PATH" ]]; then
    # Ray's own format (256 random bits, hex), readable by this user only
    (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_hex(32), end="")' \
      > "$RAY_AUTH_TOKEN_PATH")
  fi
  # Ray's socket paths must stay short: keep temp dirs under /tmp
  local head_tmp worker_tmp
  head_tmp="$(mktemp -d /tmp/hps-head-XXXX)"
  worker_tmp="$(mktemp -d /tmp/hps-worker-XXXX)"
  echo "$head_tmp" > "$DIR/head_tmp"
  echo "$worker_tmp" > "$DIR/worker_tmp"

  "$BIN/ray" start --head --node-ip-address=127.0.0.1 --port="$RAY_PORT" \
    --num-cpus=1 --temp-dir="$head_tmp" --include-dashboard=true \
    --dashboard-host=127.0.0.1 --dashboard-port="$DASH_PORT" \
    --ray-client-server-port=$((RAY_PORT + 1)) \
    --node-manager-port=$((RAY_PORT + 2)) --object-manager-port=$((RAY_PORT + 3)) \
    --dashboard-agent-listen-port=$((RAY_PORT + 4)) --dashboard-agent-grpc-port=$((RAY_PORT + 5)) \
    --runtime-env-agent-port=$((RAY_PORT + 6)) --metrics-export-port=$((RAY_PORT + 7)) \
    --min-worker-port=$((RAY_PORT + 100)) --max-worker-port=$((RAY_PORT + 199)) \
    --disable-usage-stats > "$DIR/head/start.log" 2>&1
  node_pids "$head_tmp" > "$DIR/head/pids"

  "$BIN/ray" start --address="127.0.0.1:$RAY_PORT" --node-ip-address=127.0.0.1 \
    --num-cpus=1 --temp-dir="$worker_tmp" \
    --node-manager-port=$((RAY_PORT + 12)) --object-manager-port=$((RAY_PORT + 13)) \
    --dashboard-agent-listen-port=$((RAY_PORT + 14)) --dashboard-agent-grpc-port=$((RAY_PORT + 15)) \
    --runtime-env-agent-port=$((RAY_PORT + 16)) --metrics-export-port=$((RAY_PORT + 17)) \
    --min-worker-port=$((RAY_PORT + 200)) --max-worker-port=$((RAY_PORT + 299)) \
    --disable-usage-stats > "$DIR/worker/start.log" 2>&1
  node_pids "$worker_tmp" > "$DIR/worker/pids"

  local auth_args=() auth_env=()
  if [[ "${HPS_MLFLOW_AUTH:-}" == "basic" ]]; then
    if [[ -z "${HPS_MLFLOW_ADMIN_PASSWORD:-}" ]]; then
      echo "error: HPS_MLFLOW_AUTH=basic needs HPS_MLFLOW_ADMIN_PASSWORD (the admin's password)" >&2
      exit 2
    fi
    # the users' store next to the runs' store, not in the caller's working directory
    printf '[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///%s\nadmin_username = admin\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n' \
      "$DIR/mlflow/basic_auth.db" > "$DIR/mlflow/basic_auth.ini"
    auth_args=(--app-name basic-auth)
    # only for the auth app: a plain server that sees MLFLOW_AUTH_CONFIG_PATH answers 500
    # (KeyError 'mlflow') to every search, as its first CI run showed
    auth_env=(MLFLOW_AUTH_CONFIG_PATH="$DIR/mlflow/basic_auth.ini"
      MLFLOW_AUTH_ADMIN_PASSWORD="$HPS_MLFLOW_ADMIN_PASSWORD"
      MLFLOW_FLASK_SERVER_SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')")
  fi
  env "${auth_env[@]}" setsid "$BIN/mlflow" server --host 127.0.0.1 --port "$MLFLOW_PORT" \
    --backend-store-uri "sqlite:///$DIR/mlflow/mlflow.db" \
    --artifacts-destination "$DIR/mlflow/artifacts" --workers 1 "${auth_args[@]}" \
    > "$DIR/mlflow/server.log" 2>&1 &
  echo $! > "$DIR/mlflow/pid"
  wait_port "$DASH_PORT" "Ray dashboard"
  wait_port "$MLFLOW_PORT" "MLflow server"
  cat "$DIR/head/pids" "$DIR/worker/pids" "$DIR/mlflow/pid" > "$DIR/pids"
  echo "ray_address=http://127.0.0.1:$DASH_PORT"
  echo "gcs_address=127.0.0.1:$RAY_PORT"
  echo "mlflow_uri=http://127.0.0.1:$MLFLOW_PORT"
  if [[ "$RAY_AUTH_MODE" == "token" ]]; then echo "auth_token_path=$RAY_AUTH_TOKEN_PATH"; fi
}

stop_pids() {
  # $@: pids; TERM, wait up to 10 s, then KILL whatever is left
  local pids=("$@") alive
  [[ ${#pids[@]} -eq 0 ]] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && return 0
    sleep 0.2
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

collect() {
  # pids recorded at start, plus any process still naming the node's temp dir
  local node=$1 tmp=""
  [[ -f "$DIR/${node}_tmp" ]] && tmp="$(cat "$DIR/${node}_tmp")"
  { cat "$DIR/$node/pids" 2>/dev/null || true; [[ -n "$tmp" ]] && node_pids "$tmp"; } | sort -u
}

kill_worker() {
  mapfile -t pids < <(collect worker)
  [[ ${#pids[@]} -gt 0 ]] && kill -KILL "${pids[@]}" 2>/dev/null || true
  echo "killed worker node (${#pids[@]} processes)"
}

down() {
  [[ -d "$DIR" ]] || { echo "no local cluster state in $DIR"; return 0; }
  mapfile -t worker < <(collect worker)
  mapfile -t head < <(collect head)
  stop_pids "${worker[@]}"
  stop_pids "${head[@]}"
  if [[ -f "$DIR/mlflow/pid" ]]; then
    local pid
    pid="$(cat "$DIR/mlflow/pid")"
    kill -TERM -- "-$pid" 2>/dev/null || true   # setsid: the server and its workers
    sleep 1
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  for node in head worker; do
    [[ -f "$DIR/${node}_tmp" ]] && rm -rf "$(cat "$DIR/${node}_tmp")"
  done
  rm -f "$DIR/pids"
  echo "local cluster stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill-worker) kill_worker ;;
  *) echo "usage: $0 up|down|kill-worker" >&2; exit 2 ;;
esac
