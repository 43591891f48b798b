#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh: `make bench`: compile the BPF C programs of bench/progs with clang, extract their .text,
# run the interpreter/JIT bench on them, then every other bench program of $BUILD/bench.
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/bench/progs
CLANG=${CLANG:-clang}
OBJCOPY=${OBJCOPY:-$(command -v llvm-objcopy || command -v llvm-objcopy-14 || true)}
mkdir -p "$OUT"
if [ -z "$OBJCOPY" ]; then
	echo "bench: llvm-objcopy not found (Debian: apt-get install llvm)" >&2
	exit 1
fi
for src in "$SRC"/progs/*.bpf.c; do
	name=$(basename "$src" .bpf.c)
	"$CLANG" -O2 -g0 -target bpf -Wall -c "$src" -o "$OUT/$name.o"
	"$OBJCOPY" -O binary --only-section=.text "$OUT/$name.o" "$OUT/$name.bin"
done
"$BUILD/bench/interp" "$OUT"
for b in "$BUILD"/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] && [ "$(basename "$b")" != interp ] || continue
	echo
	echo "== $(basename "$b")"
	"$b"
done
