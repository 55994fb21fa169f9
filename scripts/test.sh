#!/usr/bin/env bash
# Set up and run the whole test suite (unit tests and end-to-end tests of the CLI).
# Tests that need ../shared/datasets/xeducation-leads.csv skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# Servers and programs the peer tests drive, from Debian's packages: Chromium (the report's
# browser test), PostgreSQL's server and Java (the exported SQL run in PostgreSQL and in Spark's
# local mode). Those tests skip with a message where a package is absent, so a failed install
# does not stop the suite.
need=()
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  echo "test: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; } \
    || echo "test: ${need[*]} could not be installed; the tests that need them will skip" >&2
fi
# Real peers: schemathesis (against the service's OpenAPI document), Segment's own Python library
# (against its Segment-compatible API), standardwebhooks (the webhook signatures); DuckDB,
# psycopg, pyspark, sqlglot and LightGBM (the exported models run in their engines). Those tests
# skip with a message if the packages cannot be installed.
if [ ! -x scripts/.venv/bin/python ]; then
  python3 -m venv scripts/.venv || echo "test: no Python virtual environment; the peer tests will skip" >&2
fi
if [ -x scripts/.venv/bin/pip ]; then
  scripts/.venv/bin/pip install -q --disable-pip-version-check "schemathesis>=4.3,<5" "segment-analytics-python>=2.3,<3" "standardwebhooks>=1.0,<2" \
    "duckdb>=1.1,<2" "psycopg[binary]>=3.1,<4" "pyspark>=3.5,<5" "sqlglot>=25" "lightgbm>=4,<5" "numpy" \
    || echo "test: could not install the peers' Python packages; the peer tests will skip" >&2
fi
swift build
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The suite is XCTest; Swift Testing would only add an empty run.
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
# XCTest's last line reads "Executed N tests, with [S tests skipped and] F failures (...)".
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with " "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
  failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')
  skipped=0
  if echo "$summary" | grep -qE "[0-9]+ tests? skipped"; then
    skipped=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? skipped.*/\1/')
  fi
  echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
