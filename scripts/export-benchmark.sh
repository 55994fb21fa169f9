#!/usr/bin/env bash
# Benchmark the exported SQL where the leads are: DuckDB and Spark's local mode on the 1M-row
# synthetic table, beside `leadscore predict` (release build) on the same rows. About 6 minutes.
# Usage: bash scripts/export-benchmark.sh   (results in benchmarks/export.json)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }
swift build -c release --product leadscore
[ -x scripts/.venv/bin/python ] || python3 -m venv scripts/.venv
scripts/.venv/bin/pip install -q --disable-pip-version-check pandas numpy "duckdb>=1.1,<2" "pyspark>=3.5,<5"
scripts/.venv/bin/python scripts/export_benchmark.py
