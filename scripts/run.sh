#!/usr/bin/env bash
# `make run`: the whole product with zero setup — the Shiprocket simulator, the API and one
# worker, on a SQLite file and an embedded queue under ./data/, e-mails as .eml files in
# ./data/outbox/. Running it again keeps the data. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

API_PORT="${API_PORT:-8080}"
WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-9091}"
SIM_PORT="${SIM_PORT:-8081}"
SIM_SPEED="${SIM_SPEED:-1200}"   # simulated seconds per real second: a parcel is delivered in ~2 min
API_KEY="${API_KEY:-dev-key}"
WEBHOOK_TOKEN="${WEBHOOK_TOKEN:-dev-webhook-token}"
DATA_DIR="${DATA_DIR:-data}"

echo "Building (the first build takes a few minutes)…"
cargo build --quiet --bin shiprocket-sim --bin shipping-api --bin shipping-worker
mkdir -p "$DATA_DIR/outbox" "$DATA_DIR/logs"

export DATABASE_URL="sqlite://${DATA_DIR}/shipping.db?mode=rwc"
export SHIPPING__DATABASE__URL="$DATABASE_URL"
export SHIPROCKET_API_URL="http://127.0.0.1:${SIM_PORT}/v1/external/"
export SHIPPING__SHIPROCKET__BASE_URL="$SHIPROCKET_API_URL"
export SHIPROCKET_EMAIL="api-user@example-store.in"
export SHIPROCKET_PASSWORD="local-simulator"
export SHIPROCKET_PICKUP_LOCATION="Primary WH"
export SHIPPING__SHIPROCKET__PICKUP_PINCODE="411013"
export SHIPROCKET_WEBHOOK_TOKEN="$WEBHOOK_TOKEN"
export SHIPPING__AUTH__API_KEYS="$API_KEY"
export SHIPPING__SERVER__LISTEN="127.0.0.1:${API_PORT}"
export SHIPPING__SERVER__PUBLIC_BASE_URL="http://127.0.0.1:${API_PORT}"
export SHIPPING__SHOP__PUBLIC_BASE_URL="http://127.0.0.1:${API_PORT}"
# The simulator's clock runs fast: poll it every minute instead of every two hours.
export SHIPPING__WORKER__TRACKING_REFRESH_SECS=60
export SHIPPING__WORKER__WEBHOOK_QUIET_PERIOD_SECS=30
export SHIPPING__MAIL__DIR="${DATA_DIR}/outbox"
export SHIPPING__QUEUE__BACKEND__KIND=sqlite
export SHIPPING__QUEUE__BACKEND__URL="sqlite://${DATA_DIR}/queue.db"
export RUST_LOG="${RUST_LOG:-info}"

# A local admin for the pages (/admin): the password is made once and kept in ${DATA_DIR}.
if [ ! -s "$DATA_DIR/admin-password" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$DATA_DIR/admin-password")
fi
ADMIN_PASSWORD="$(cat "$DATA_DIR/admin-password")"
if [ ! -s "$DATA_DIR/api.toml" ]; then
  hash="$(printf '%s\n' "$ADMIN_PASSWORD" | ./target/debug/shipping-api hash-password)"
  (umask 077; printf '[[admin.users]]\nname = "admin"\npassword_hash = "%s"\n' "$hash" > "$DATA_DIR/api.toml")
fi
export SHIPPING_CONFIG="$DATA_DIR/api.toml"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping…"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

./target/debug/shiprocket-sim --port "$SIM_PORT" --speed "$SIM_SPEED" \
  --webhook-url "http://127.0.0.1:${API_PORT}/webhooks/courier-updates" --webhook-token "$WEBHOOK_TOKEN" \
  > "$DATA_DIR/logs/simulator.log" 2>&1 &
pids+=($!)
./target/debug/shipping-api > "$DATA_DIR/logs/api.log" 2>&1 &
pids+=($!)
# The API migrates the database on start; the worker starts once it answers.
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:${API_PORT}/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
SHIPPING__WORKER__METRICS_LISTEN="127.0.0.1:${WORKER_METRICS_PORT}" \
  ./target/debug/shipping-worker > "$DATA_DIR/logs/worker.log" 2>&1 &
pids+=($!)

cat <<EOT

  Shipping service is running (zero-setup mode: data in ${DATA_DIR}, e-mails in ${DATA_DIR}/outbox).

  API ............ http://127.0.0.1:${API_PORT}        (key: ${API_KEY})
  Admin pages .... http://127.0.0.1:${API_PORT}/admin   (user: admin, password: ${ADMIN_PASSWORD})
  Checkout widget  http://127.0.0.1:${API_PORT}/widget/rates.js
  OpenAPI ........ http://127.0.0.1:${API_PORT}/openapi.json
  Metrics ........ http://127.0.0.1:${API_PORT}/metrics   (worker: http://127.0.0.1:${WORKER_METRICS_PORT}/metrics)
  Simulator ...... http://127.0.0.1:${SIM_PORT}/__sim/state   (Shiprocket stand-in, ${SIM_SPEED}x clock)
  Logs ........... ${DATA_DIR}/logs/{api,worker,simulator}.log

  Try an order-paid event (see README.md for the field list):

    curl -s -X POST http://127.0.0.1:${API_PORT}/v1/orders \\
      -H 'authorization: Bearer ${API_KEY}' -H 'content-type: application/json' \\
      -d @docs/examples/order-paid.json

    curl -s -H 'authorization: Bearer ${API_KEY}' http://127.0.0.1:${API_PORT}/v1/orders/WEB-1001/shipment

  Ctrl-C stops everything.
EOT
wait -n "${pids[@]}" || true
echo "A process stopped; see ${DATA_DIR}/logs." >&2
