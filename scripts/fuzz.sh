#!/usr/bin/env bash
# Fuzz every parser of outside input with libFuzzer (coverage-guided, AddressSanitizer on):
# the CSV reader with schema inference, dates, numbers, rules files (with their patterns),
# model files, schema override files, event logs, the service's JSON bodies and service.yaml,
# and the Retry-After headers webhook receivers answer.
#
# Usage: bash scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]   (default 60 s, every harness)
#
# Each harness starts from its seed corpus in Tests/FuzzCorpus/<harness>/ (committed) and from
# the inputs earlier runs found reaching new code (.build-fuzz/corpus/<harness>/, kept between
# runs on this machine, not committed: thousands of files). A crash, leak or timeout is written
# to Tests/FuzzCorpus/<harness>/ as crash-*/leak-*/timeout-*: fix the cause, commit the file,
# and the unit tests replay it from then on (Tests/LeadScoringTests/FuzzReplayTests.swift).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
seconds="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(csv dates numbers rules model schema-overrides events patterns json service-config retry-after)
scratch=.build-fuzz
# The sanitizer flags and lld (gold fails on the instrumented objects) come from the toolset.
swift build -c release --package-path scripts/fuzz --scratch-path "$scratch" --toolset scripts/fuzz/toolset.json
binary="$scratch/release/leadscore-fuzz"
status=0
for h in "${harnesses[@]}"; do
  corpus="Tests/FuzzCorpus/$h"
  work="$scratch/corpus/$h"
  mkdir -p "$corpus" "$work"
  log="$scratch/fuzz-$h.log"
  echo "fuzz: $h for ${seconds}s (seeds $corpus, corpus $work)"
  set +e
  LEADSCORE_FUZZ_TARGET="$h" "$binary" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 \
    -max_len=65536 -artifact_prefix="$corpus/" -print_final_stats=1 >"$log" 2>&1
  code=$?
  set -e
  runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}' || true)
  echo "fuzz: $h: exit $code, ${runs:-?} executions$( [ $code -ne 0 ] && echo "; see $log" )"
  [ $code -eq 0 ] || status=1
done
exit $status
