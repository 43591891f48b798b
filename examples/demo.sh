#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh: the README's first command: assemble, disassemble and run small eBPF programs.
set -euo pipefail
BUILD=${1:-build}
U=$BUILD/userbpf
cd "$(dirname "$0")/.."

echo "== userbpf $($U --version | cut -d' ' -f2): a checksum over 64 bytes, in eBPF assembly"
cat examples/sum.s
echo
echo "== disassembled (kernel/LLVM syntax)"
$U disasm examples/sum.s
echo
mem=$(for i in $(seq 1 64); do printf '%02x' "$i"; done)
echo "== run on the interpreter with 64 bytes 01..40 (expect 2080)"
$U run --interp --mem "$mem" examples/sum.s
if $U run --jit --mem "$mem" examples/sum.s >/dev/null 2>&1; then
	echo "== and on the x86-64 JIT"
	$U run --jit --mem "$mem" examples/sum.s
fi

echo
echo "== a BPF C program compiled by clang (tests/progs/subprogs.bpf.c): its object"
make -s BUILD="$BUILD" "$BUILD/progs/subprogs.bpf.o"
$U obj show "$BUILD/progs/subprogs.bpf.o"
echo
echo "== the verifier's verdict"
$U verify "$BUILD/progs/subprogs.bpf.o"
echo
echo "== one program, with its C source interleaved"
$U disasm --prog only_fib "$BUILD/progs/subprogs.bpf.o" | head -n 16
echo "   ..."
echo
echo "== run it on the JIT with ctx[0] = 10 (fib(10) = 55)"
$U run --jit --prog only_fib --mem 0a "$BUILD/progs/subprogs.bpf.o"
