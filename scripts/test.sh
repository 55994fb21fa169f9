#!/usr/bin/env bash
# Set up and run the whole test suite (unit tests and end-to-end tests of the CLI).
# Tests that need ../shared/datasets/xeducation-leads.csv skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build
swift build --build-tests
swift test --skip-build
