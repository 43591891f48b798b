#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh: build the trace examples and run them: call count + latency histogram of work() in an
# unmodified app, malloc sizes of a real Debian binary (ls), and an overridden return value.
# Usage: examples/trace/run.sh [BUILD]   (BUILD: the build directory holding userbpf; default build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -g -o "$out/app" "$here/app.c"
for p in count malloc override; do
	clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu \
		-c "$here/$p.bpf.c" -o "$out/$p.bpf.o"
done
cd "$out"
echo "== userbpf trace count.bpf.o -- ./app"
"$build/userbpf" trace count.bpf.o -- ./app 200 || echo "(app exited $?)"
echo "== userbpf trace malloc.bpf.o -- ls -l /usr/bin"
"$build/userbpf" trace malloc.bpf.o -- ls -l /usr/bin > /dev/null
echo "== userbpf trace --unverified override.bpf.o -- ./app"
"$build/userbpf" trace --unverified override.bpf.o -- ./app 10 && echo "(app exited 0)"
