#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# agreement_doc.sh: write docs/verifier-agreement.md from docs/verifier-agreement.md.in, the
# differential test's report ($BUILD/kernel/report.txt, via report_md.sh), a fresh run of the
# verifier bench, and the fuzzer summary in $BUILD/fuzz-summary.txt (if present).
#   usage: agreement_doc.sh BUILD_DIR
set -eu
BUILD=${1:?usage: agreement_doc.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$HERE/report_md.sh" "$BUILD" > "$tmp/report"
if [ -x "$BUILD/bench/verifier" ]; then
	"$BUILD/bench/verifier" 5 > "$tmp/bench" 2>&1 || true
else
	echo "(bench not built: make BUILD=$BUILD bench)" > "$tmp/bench"
fi
if [ -f "$BUILD/fuzz-summary.txt" ]; then cp "$BUILD/fuzz-summary.txt" "$tmp/fuzz"
else echo "(no fuzzing summary in $BUILD/fuzz-summary.txt)" > "$tmp/fuzz"; fi
# Cases where Linux's verdict differs from the selftests' own expectation (a harness check).
drift=$(grep -c '^drift ' "$BUILD/kernel/report.txt" || true)
python3 - "$ROOT/docs/verifier-agreement.md.in" "$tmp" "${drift:-?}" \
	> "$ROOT/docs/verifier-agreement.md" <<'PY'
import sys
tpl, tmp, drift = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(tpl).read()
for key, name in (("@REPORT@", "report"), ("@BENCH@", "bench"), ("@FUZZ@", "fuzz")):
    s = s.replace(key, open(f"{tmp}/{name}").read().rstrip("\n"))
s = s.replace("@DRIFT@", drift)
sys.stdout.write(s)
PY
echo "wrote $ROOT/docs/verifier-agreement.md"
