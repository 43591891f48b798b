/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.h: one source, two compilers. Each program file of bench/progs defines one program with
 * BENCH_PROG(name); clang -target bpf turns it into raw BPF (.text, r1 = data, r2 = len), and
 * bench/interp.c includes the same file so gcc -O2 compiles it natively for the baseline.
 * Programs must be self-contained: no calls except always-inlined ones, no globals.
 */
#ifndef UB_BENCH_PROGS_H
#define UB_BENCH_PROGS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#ifdef __bpf__
#define BENCH_PROG(name) u64 name(u8 *data, u64 len)
#else
#define BENCH_PROG(name) static __attribute__((noinline)) u64 native_##name(u8 *data, u64 len)
#endif
#define BENCH_INLINE static inline __attribute__((always_inline))

#endif
