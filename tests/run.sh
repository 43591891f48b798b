#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh: run every test program of $BUILD/tests and add up their "N passed, M failed" lines.
# A program that crashes or exits non-zero without failing a check counts as one failure.
set -u
BUILD=${BUILD:-build}
export UB_BUILD=$BUILD
export UB_CLI=$BUILD/userbpf
export UB_SHARED=${UB_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
passed=0 failed=0 skipped=0
for t in "$BUILD"/tests/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	name=$(basename "$t")
	start=$SECONDS
	# A hung test must not hang the suite: it is killed and counted as a failure.
	out=$(timeout -k 10 "${UB_TEST_TIMEOUT:-900}" "$t" 2>&1 </dev/null); rc=$?
	[ "$rc" -eq 124 ] && out="$out
FAIL $name: timed out after ${UB_TEST_TIMEOUT:-900} s"
	line=$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_ -]+: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		printf '%s\n' "$out" | tail -n 20
		echo "FAIL $name: exited $rc without a summary line"
		failed=$((failed + 1))
		continue
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line"); s=${s:-0}
	printf '%s\n' "$out" | grep -E '^(FAIL|SKIP|NOTE)' | head -n 40
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc"
		f=1
	fi
	echo "$line   ($((SECONDS - start)) s)"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
