#!/usr/bin/env bash
# `make smoke`: what a newcomer does after `make run`, scripted — start the stack in zero-setup
# mode (in a fresh data directory), post the README's example order, and wait until it is
# delivered, with the e-mails written. Exits non-zero if it is not delivered in time.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATA_DIR="${DATA_DIR:-$(mktemp -d /tmp/shipping-smoke.XXXXXX)}"
export API_PORT="${API_PORT:-18180}" SIM_PORT="${SIM_PORT:-18181}" SIM_SPEED="${SIM_SPEED:-2400}"
KEY=dev-key
./scripts/run.sh > "$DATA_DIR/run.log" 2>&1 &
RUN=$!
trap 'kill $RUN 2>/dev/null; wait $RUN 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:${API_PORT}/healthz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS -X POST "http://127.0.0.1:${API_PORT}/v1/orders" -H "authorization: Bearer $KEY" \
  -H 'content-type: application/json' -d @docs/examples/order-paid.json
echo
state=""
for _ in $(seq 1 240); do
  state=$(curl -fs -H "authorization: Bearer $KEY" "http://127.0.0.1:${API_PORT}/v1/orders/WEB-1001/shipment" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["shipment"]["state"])' 2>/dev/null || true)
  [ "$state" = delivered ] && break
  sleep 1
done
echo "state: ${state:-unknown}"
[ "$state" = delivered ] || { echo "smoke: the example order was not delivered; logs in $DATA_DIR/logs" >&2; exit 1; }
sleep 3
ls "$DATA_DIR/outbox"/*.eml >/dev/null
grep -h '^Subject:' "$DATA_DIR/outbox"/*.eml
grep -q 'has been delivered' "$DATA_DIR"/outbox/*.eml || { echo "smoke: no delivered e-mail" >&2; exit 1; }
# The admin pages answer, and the admin `make run` printed can sign in (the form's CSRF token
# comes with the page).
jar="$DATA_DIR/cookies"
page=$(curl -fsS -c "$jar" "http://127.0.0.1:${API_PORT}/admin/sign-in")
csrf=$(printf '%s' "$page" | python3 -c 'import re,sys; print(re.search(r"name=\"csrf\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" -X POST "http://127.0.0.1:${API_PORT}/admin/sign-in" \
  --data-urlencode "username=admin" --data-urlencode "password=$(cat "$DATA_DIR/admin-password")" --data-urlencode "csrf=$csrf")
[ "$code" = 303 ] || { echo "smoke: admin sign-in answered $code" >&2; exit 1; }
curl -fsS -b "$jar" "http://127.0.0.1:${API_PORT}/admin" | grep -q 'WEB-1001\|Dashboard' || { echo "smoke: no dashboard" >&2; exit 1; }
echo "smoke: OK (data in $DATA_DIR)"
