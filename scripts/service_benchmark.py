"""Benchmark of the scoring service on loopback (run by scripts/service-benchmark.sh): sustained
ingestion through /v1/batch (100 Segment events a request), single-lead reads and writes per
second with p50/p99 latency (wrk), and the store's size per million events. Bounded in time:
about a minute and a half. Writes benchmarks/service.json and prints the README's table."""
import base64
import json
from datetime import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LS = os.path.join(ROOT, ".build/release/leadscore")
SAMPLE = os.path.join(ROOT, "datasets/sample-leads.csv")
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))


def call(base, method, path, key, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"{}")


def wrk(script, base, seconds, connections, env):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
                         capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout
    def ms(text):
        m = re.match(r"([0-9.]+)(us|ms|s|m)$", text)
        if not m:
            raise SystemExit(f"wrk printed a latency this script cannot read: {text!r}\n{out}")
        value, unit = m.groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": rate, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(errors.group(1)) if errors else 0}


def start_server(args, cwd):
    server = subprocess.Popen([LS, "serve"] + args + ["--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
    port = int(re.search(r":(\d+) ", server.stdout.readline()).group(1))
    return server, f"http://127.0.0.1:{port}"


def load_leads(base, key):
    rows = [l.rstrip("\n").split(",") for l in open(SAMPLE)]
    header, rows = rows[0], rows[1:]
    leads = [{"id": r[0], "attributes": {h: v for h, v in zip(header, r) if h != "converted"}} for r in rows]
    for i in range(0, len(leads), 500):
        call(base, "POST", "/v1/leads/batch", key, {"leads": leads[i:i + 500]})
    return leads


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def delivery_latency(work, model, env, seconds):
    """Ingestion with an input computed from events (each event rescores its lead), and every
    tier and score change delivered to a webhook receiver on loopback: events/s and the delay
    from the change (the payload's timestamp, written in the transaction that made it) to the
    receiver's clock."""
    store = os.path.join(work, "webhooks.db")
    admin = subprocess.run([LS, "keys", "create", "--store", store, "--scope", "admin"], check=True, capture_output=True, text=True).stdout.strip()
    config = os.path.join(work, "service.yaml")
    with open(config, "w") as f:
        f.write("store: webhooks.db\nmodel: model.json\ninputs:\n  pricing_page_views: {count: pricing_page_view, within: 90d}\n"
                "webhooks: {retry: [1s, 2s, 5s], timeout: 5s, allow_private: true}\n")
    log = os.path.join(work, "received.jsonl")
    receiver = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests/Peers/webhook_receiver.py"), "serve", log],
                                stdout=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline().split()[-1])
    server, base = start_server(["--config", config], work)
    try:
        load_leads(base, admin)
        call(base, "POST", "/v1/webhooks", admin, {"url": f"http://127.0.0.1:{port}/hook", "minChange": 1,
                                                   "events": ["lead.tier_changed", "lead.score_changed"]})
        env = {**env, "BENCH_BASIC": base64.b64encode((admin + ":").encode()).decode(), "BENCH_KEY": admin}
        before = call(base, "GET", "/healthz", admin)["events"]
        start = time.time()
        ingest = wrk(os.path.join(ROOT, "scripts/service-bench/ingest.lua"), base, seconds, 4, env)
        elapsed = time.time() - start
        ingest["events_per_s"] = (call(base, "GET", "/healthz", admin)["events"] - before) / elapsed
        # Let the outbox drain: until nothing more arrives for 3 s (at most 120 s).
        seen, quiet, drained_at = -1, 0, time.time()
        while quiet < 3 and time.time() - drained_at < 120:
            time.sleep(1)
            count = sum(1 for _ in open(log)) if os.path.exists(log) else 0
            quiet = quiet + 1 if count == seen else 0
            seen = count
        drain = time.time() - drained_at
    finally:
        server.terminate()
        server.wait()
        receiver.terminate()
    import sqlite3
    with sqlite3.connect(store) as db:
        queued = db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
    delays = []
    for line in open(log):
        r = json.loads(line)
        body = json.loads(r["body"])
        t = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")).timestamp()
        delays.append((r["received"] - t) * 1000)
    return {"ingest": ingest, "deliveries": len(delays), "queued": queued, "drain_s": drain,
            "p50_ms": percentile(delays, 0.5), "p99_ms": percentile(delays, 0.99)}


def main():
    work = tempfile.mkdtemp(prefix="leadscore-service-bench-")
    model = os.path.join(work, "model.json")
    subprocess.run([LS, "train", "--data", SAMPLE, "--target", "converted", "--out", model], check=True, capture_output=True)
    store = os.path.join(work, "leadscore.db")
    def key(scope):
        return subprocess.run([LS, "keys", "create", "--store", store, "--scope", scope], check=True, capture_output=True, text=True).stdout.strip()
    write_key, read_key = key("write"), key("read")
    server, base = start_server(["--model", model, "--store", store], work)
    try:
        # The sample's 5,000 leads, loaded through the API.
        leads = load_leads(base, write_key)
        env = {"BENCH_KEY": read_key, "BENCH_LEADS": str(len(leads)),
               "BENCH_BASIC": base64.b64encode((write_key + ":").encode()).decode()}
        scripts = os.path.join(ROOT, "scripts/service-bench")
        before = call(base, "GET", "/healthz", read_key)["events"]
        start = time.time()
        ingest = wrk(os.path.join(scripts, "ingest.lua"), base, SECONDS, 4, env)
        elapsed = time.time() - start
        events = call(base, "GET", "/healthz", read_key)["events"] - before
        ingest["events_per_s"] = events / elapsed
        ingest["events"] = events
        reads = wrk(os.path.join(scripts, "read.lua"), base, max(SECONDS // 2, 5), 8, env)
        env["BENCH_KEY"] = write_key
        writes = wrk(os.path.join(scripts, "write.lua"), base, max(SECONDS // 2, 5), 8, env)
        total = call(base, "GET", "/healthz", read_key)["events"]
        size = sum(os.path.getsize(store + s) for s in ("", "-wal") if os.path.exists(store + s))
    finally:
        server.terminate()
        server.wait()
    webhooks = delivery_latency(work, model, env, max(SECONDS // 2, 5))
    result = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
              "leads": len(leads), "ingest_batches_of_100": ingest, "single_reads": reads, "single_writes": writes,
              "with_inputs_and_webhooks": webhooks, "store_bytes": size, "events_stored": total, "store_mib_per_million_events": size / total * 1e6 / 2**20 if total else None}
    os.makedirs(os.path.join(ROOT, "benchmarks"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks/service.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"Scoring service on loopback, {result['date']}, {result['machine']}, {len(leads):,} leads, wrk with 1 thread:\n")
    print("| measure | result | p50 | p99 |\n|---|---|---|---|")
    print(f"| ingestion through /v1/batch (100 events a request, 4 connections) | {ingest['events_per_s']:,.0f} events/s | "
          f"{ingest['p50_ms']:.1f} ms | {ingest['p99_ms']:.1f} ms |")
    print(f"| single-lead reads (GET /v1/leads/{{id}}, score with reasons as of now, 8 connections) | {reads['requests_per_s']:,.0f} /s | "
          f"{reads['p50_ms']:.2f} ms | {reads['p99_ms']:.2f} ms |")
    print(f"| single-lead writes (PATCH, rescored and stored, 8 connections) | {writes['requests_per_s']:,.0f} /s | "
          f"{writes['p50_ms']:.2f} ms | {writes['p99_ms']:.2f} ms |")
    print(f"| store size | {result['store_mib_per_million_events']:,.0f} MiB per million events ({total:,} events) | | |")
    w = webhooks
    print(f"| ingestion with an input from events (each event rescores its lead) and webhooks on | {w['ingest']['events_per_s']:,.0f} events/s | "
          f"{w['ingest']['p50_ms']:.1f} ms | {w['ingest']['p99_ms']:.1f} ms |")
    if w["deliveries"]:
        print(f"| webhook delivery, from the change to the receiver ({w['deliveries']:,} of {w['queued']:,} queued received, "
              f"the last {w['drain_s']:.0f} s after ingestion stopped) | | {w['p50_ms']:.1f} ms | {w['p99_ms']:.1f} ms |")
    bad = ingest["non_2xx"] + reads["non_2xx"] + writes["non_2xx"] + w["ingest"]["non_2xx"]
    if bad:
        print(f"\n{bad} requests were not answered 2xx", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
