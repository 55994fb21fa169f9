#!/usr/bin/env bash
# Benchmark the scoring service (release build) on loopback with wrk: ingestion, single-lead
# reads and writes with p50/p99 latency, store size per million events. About 90 seconds.
# Usage: bash scripts/service-benchmark.sh   (BENCH_SECONDS=20 sets the ingestion run's length)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product leadscore
python3 scripts/service_benchmark.py
