#!/usr/bin/env bash
# Start the scoring service on the bundled sample and show it working: trains a model, makes an
# admin key, starts `leadscore serve` on 127.0.0.1:${PORT:-8080}, loads 3,000 leads and their
# activity through the API (the leads' CRM fields with PUT /v1/leads/batch, the events through
# the Segment-compatible /v1/batch), then prints example curl calls. The server keeps running;
# the script prints how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product leadscore
ls=.build/release/leadscore
port="${PORT:-8080}"
demo=out/serve-demo
rm -rf "$demo" && mkdir -p "$demo"
$ls generate --leads 3000 --seed 21 --out "$demo/leads.csv" --events "$demo/events.csv" >/dev/null
$ls train --data datasets/sample-leads.csv --target converted --out "$demo/model.json" >/dev/null
key=$($ls keys create --store "$demo/leadscore.db" --scope admin --name demo 2>/dev/null)
cat > "$demo/service.yaml" <<YAML
store: leadscore.db
model: model.json
tier_from: model
YAML
$ls serve --config "$demo/service.yaml" --port "$port" > "$demo/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$demo/serve.log" && break; sleep 0.1; done
grep -q "listening on" "$demo/serve.log" || { cat "$demo/serve.log"; kill $pid; exit 1; }
base="http://127.0.0.1:$port"
python3 - "$base" "$key" "$demo" <<'PY'
import base64, csv, json, sys, urllib.request
base, key, demo = sys.argv[1:4]
def post(path, body, auth):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": auth, "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=60).read()
leads = [{"id": r["lead_id"], "attributes": {k: v for k, v in r.items() if k != "converted"}}
         for r in csv.DictReader(open(f"{demo}/leads.csv"))]
for i in range(0, len(leads), 500):
    post("/v1/leads/batch", {"leads": leads[i:i + 500]}, "Bearer " + key)
rows = list(csv.DictReader(open(f"{demo}/events.csv")))
basic = "Basic " + base64.b64encode((key + ":").encode()).decode()
columns = list(rows[0].keys()) if rows else []
for i in range(0, len(rows), 100):
    batch = []
    for n, r in enumerate(rows[i:i + 100]):
        ts = r[columns[2]]
        message = {"type": "track", "userId": r[columns[0]], "event": r[columns[1]], "messageId": f"demo-{i + n}",
                   "timestamp": ts if "T" in ts else ts + "T12:00:00Z"}
        if r.get("value"):
            message["properties"] = {"value": float(r["value"])}
        batch.append(message)
    post("/v1/batch", {"batch": batch}, basic)
print(f"loaded {len(leads):,} leads and {len(rows):,} events")
PY
cat <<TEXT

leadscore serve is running at $base (pid $pid, store $demo/leadscore.db, log $demo/serve.log).
Admin key (shown once): $key

  export KEY=$key
  # The sales-ready leads, best first:
  curl -s -H "Authorization: Bearer \$KEY" "$base/v1/leads?tier=SQL&limit=5"
  # One lead, scored as of now, with its reasons:
  curl -s -H "Authorization: Bearer \$KEY" $base/v1/leads/L0000001
  # A CRM update: new attributes, rescored at once:
  curl -s -X PATCH -H "Authorization: Bearer \$KEY" -d '{"attributes": {"demo_requested": "Yes"}}' $base/v1/leads/L0000001
  # Activity, as Segment sends it (the key as the Basic-auth user):
  curl -s -u "\$KEY:" -d '{"userId": "L0000001", "event": "pricing_page_view", "messageId": "m-1"}' $base/v1/track
  # Its tier changes and events:
  curl -s -H "Authorization: Bearer \$KEY" $base/v1/leads/L0000001/history
  curl -s -H "Authorization: Bearer \$KEY" "$base/v1/leads/L0000001/events?limit=5"
  # Score a form fill without storing it:
  curl -s -X POST -H "Authorization: Bearer \$KEY" -d '{"attributes": {"lead_source": "Referral", "demo_requested": "Yes"}}' $base/v1/score
  curl -s $base/metrics | head -20

Stop it with: kill $pid
TEXT
