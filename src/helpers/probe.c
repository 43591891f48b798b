/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe.c: fault-safe copies from addresses a program supplies (probe_read_user*).
 *
 * Why a guarded copy and not process_vm_readv: a probe read must not cost a syscall per call,
 * and must not crash the host on a bad pointer. The copy runs with a per-thread sigjmp_buf
 * armed; a SIGSEGV/SIGBUS raised while it is armed jumps back and the read returns -EFAULT.
 * Faults elsewhere go to the handler that was installed before ours (or the default action),
 * so the host's own crash handling is unchanged. The handler is installed once, on the first
 * probe read, with SA_NODEFER so that leaving it by siglongjmp (without restoring the signal
 * mask: sigsetjmp(..., 0), no syscall) leaves SIGSEGV unblocked. Addresses in the first page
 * are refused without trying.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "helpers/probe.h"

static struct sigaction old_segv, old_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int installed;
static __thread sigjmp_buf *armed;

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;

	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
	} else if (old->sa_handler == SIG_IGN) {
		return;
	} else if (old->sa_handler == SIG_DFL) {
		/* Restore the default action; returning re-runs the fault, which then kills. */
		signal(sig, SIG_DFL);
	} else {
		old->sa_handler(sig);
	}
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = armed;

	if (jb) {
		armed = NULL;
		siglongjmp(*jb, 1);
	}
	chain(sig, si, uc);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (!sigaction(SIGSEGV, &sa, &old_segv) && !sigaction(SIGBUS, &sa, &old_bus))
		installed = 1;
}

static int plausible(const void *src, size_t size)
{
	uintptr_t a = (uintptr_t)src;

	return a >= 4096 && a + size >= a && a + size <= (1ull << 47);
}

/* The copy loop must not be inlined into memcpy calls the compiler could reorder. */
static __attribute__((noinline)) void copy_bytes(volatile uint8_t *d, const volatile uint8_t *s,
						 size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

static __attribute__((noinline)) long copy_str(volatile char *d, const volatile char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		char c = s[i];

		d[i] = c;
		if (!c)
			return (long)i + 1;
	}
	d[i] = 0;
	return (long)i + 1;
}

int ub_probe_read(void *dst, const void *src, size_t size)
{
	sigjmp_buf jb;

	if (!size)
		return 0;
	if (!plausible(src, size))
		goto fault;
	pthread_once(&install_once, install);
	if (!installed)
		goto fault;
	if (sigsetjmp(jb, 0)) {
		armed = NULL;
		goto fault;
	}
	armed = &jb;
	copy_bytes(dst, src, size);
	armed = NULL;
	return 0;
fault:
	memset(dst, 0, size);
	return -EFAULT;
}

long ub_probe_read_str(char *dst, const void *src, size_t size)
{
	sigjmp_buf jb;
	long n;

	if (!size)
		return 0;
	if (!plausible(src, 1))
		goto fault;
	pthread_once(&install_once, install);
	if (!installed)
		goto fault;
	if (sigsetjmp(jb, 0)) {
		armed = NULL;
		goto fault;
	}
	armed = &jb;
	n = copy_str(dst, src, size);
	armed = NULL;
	return n;
fault:
	memset(dst, 0, size);
	return -EFAULT;
}
