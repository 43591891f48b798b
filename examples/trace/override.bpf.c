/* SPDX-License-Identifier: Apache-2.0 */
/*
 * override.bpf.c: replace a function's result (fmod_ret, an explicit opt-in): is_allowed() in
 * ./app answers 1 for uid 1000 without running. The app then prints "access granted" and
 * exits 0 instead of 3.
 *   userbpf trace --unverified override.bpf.o -- ./app
 * (--unverified: the verifier's table still requires tracing programs to return 0, which
 * is Linux's rule for fentry/fexit but not for fmod_ret.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fmod_ret/./app:is_allowed")
int BPF_PROG(allow_1000, int uid)
{
	return uid == 1000 ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
