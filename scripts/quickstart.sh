#!/usr/bin/env bash
# Set up, build (release) and run the quickstart: train on the bundled sample, score a
# held-out part, print metrics and tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product leadscore
.build/release/leadscore quickstart "$@"
