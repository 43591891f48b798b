#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build_progs.sh: compile the Linux verifier test programs (progs/verifier_*.c, extracted at
# test time by extract.sh; GPL, never stored here) with clang into BPF objects, against a
# vmlinux.h dumped from the running kernel's BTF. Objects that clang 14 cannot build are
# listed, not fatal.
#   usage: build_progs.sh BUILD_DIR     prints "OBJDIR compiled total"; exit 3 when unavailable
set -u
BUILD=$(cd "${1:?usage: build_progs.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
CLANG=${CLANG:-clang}
bash "$HERE/extract.sh" "$BUILD" > /dev/null || exit 3
src=$(ls -d "$BUILD"/kernel/src/linux-source-*/tools/testing/selftests/bpf 2>/dev/null | head -n 1)
[ -n "$src" ] || exit 3
top=${src%/tools/testing/selftests/bpf}
out=$BUILD/kernel/progs
gen=$BUILD/kernel/gen
mkdir -p "$out" "$gen"
command -v "$CLANG" > /dev/null || { echo "build_progs.sh: no $CLANG" >&2; exit 3; }
if [ ! -s "$gen/vmlinux.h" ]; then
	[ -r /sys/kernel/btf/vmlinux ] && command -v bpftool > /dev/null || {
		echo "build_progs.sh: need bpftool and /sys/kernel/btf/vmlinux for vmlinux.h" >&2
		exit 3
	}
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$gen/vmlinux.h.tmp" &&
		mv "$gen/vmlinux.h.tmp" "$gen/vmlinux.h" || exit 3
fi
compile() {
	local c=$1 o=$2
	[ -f "$o" ] && [ "$o" -nt "$c" ] && return 0
	[ -f "$o.failed" ] && [ "$o.failed" -nt "$c" ] && [ "$o.failed" -nt "$SCRIPT" ] && return 1
	if "$CLANG" -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -w \
		-I"$gen" -I"$src" -I"$src/progs" -I"$top/tools/include/uapi" \
		-idirafter /usr/include/"$(gcc -print-multiarch 2> /dev/null || echo x86_64-linux-gnu)" \
		-c "$c" -o "$o.tmp" 2> "$o.log"; then
		mv "$o.tmp" "$o"
		rm -f "$o.failed"
	else
		rm -f "$o.tmp"
		touch "$o.failed"
		return 1
	fi
}
export -f compile
SCRIPT=$HERE/build_progs.sh
export CLANG gen src top SCRIPT
ls "$src"/progs/verifier_*.c | sed -E "s|.*/(verifier_[^/]*)\.c$|& $out/\1.o|" |
	xargs -P "$(nproc)" -n 2 bash -c 'compile "$0" "$1"' 2> /dev/null
total=$(ls "$src"/progs/verifier_*.c | wc -l)
ok=$(ls "$out"/verifier_*.o 2> /dev/null | wc -l)
echo "$out $ok $total"
