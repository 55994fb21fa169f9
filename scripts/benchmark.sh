#!/usr/bin/env bash
# Benchmark leadscore (release build) against scikit-learn on the same data and split, in one
# run. Sets up its own Python virtual environment (scripts/.venv) from PyPI.
# Usage: bash scripts/benchmark.sh [--quick]   (--quick skips the 1M-row and 1 GB runs)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }  # peak RSS
swift build -c release --product leadscore
swift build -c release --package-path scripts/predict-bench   # in-memory prediction timer
if [ ! -x scripts/.venv/bin/python ]; then
  python3 -m venv scripts/.venv
fi
scripts/.venv/bin/pip install -q --disable-pip-version-check "scikit-learn>=1.5" lightgbm xgboost pandas numpy
scripts/.venv/bin/python scripts/benchmark.py "$@"
