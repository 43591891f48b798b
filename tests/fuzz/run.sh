#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh: build every libFuzzer target (`make fuzz`) and run each binary of $BUILD/fuzz/ for
# FUZZ_SECONDS (default 45), seeded from tests/fuzz/seeds/<name>/ when that folder exists.
# Fails if any target crashes, leaks, times out (-timeout=10) or exceeds 2 GB (-rss_limit_mb).
# New corpus entries go to a scratch folder (the checked-in seeds are never modified); the
# input of a failure is kept as $BUILD/fuzz-artifacts/<name>-crash-... to reproduce with
# `$BUILD/fuzz/<name> FILE`.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-45}
JOBS=${JOBS:-2}

echo "== building fuzzers into $BUILD/fuzz"
if ! make -j"$JOBS" BUILD="$BUILD" fuzz >"$BUILD.fuzz-build.log" 2>&1; then
	tail -n 30 "$BUILD.fuzz-build.log"
	echo "FAIL: make fuzz"
	exit 1
fi
rm -f "$BUILD.fuzz-build.log"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$BUILD/fuzz-artifacts"
failed=0 ran=0
for bin in "$BUILD"/fuzz/*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	name=$(basename "$bin")
	corpus=("$work/$name")
	mkdir -p "$work/$name"
	[ -d "tests/fuzz/seeds/$name" ] && corpus+=("tests/fuzz/seeds/$name")
	echo "== $name: ${FUZZ_SECONDS}s"
	"$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$name-" -print_final_stats=1 \
		"${corpus[@]}" >"$work/$name.log" 2>&1
	rc=$?
	ran=$((ran + 1))
	runs=$(grep -E '^stat::number_of_executed_units' "$work/$name.log" | awk '{print $2}')
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Test unit written|round trip|==[0-9]+==' "$work/$name.log" | head -n 20
		tail -n 15 "$work/$name.log"
		echo "FAIL $name: exit $rc after ${runs:-?} runs"
		failed=$((failed + 1))
	else
		echo "ok   $name: ${runs:-?} runs, no crash, leak or timeout"
	fi
done
echo
echo "fuzzers: $((ran - failed)) passed, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]
