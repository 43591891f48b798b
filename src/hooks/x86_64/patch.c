/* SPDX-License-Identifier: Apache-2.0 */
/*
 * patch.c: live patching of code that other threads may be running, the way Linux's
 * text_poke_bp() does it for kernel text, plus one step Linux does not need:
 *
 *  1. write int3 (0xcc) over the first byte; serialize every core (membarrier SYNC_CORE).
 *     From now on a thread reaching the site traps; our SIGTRAP handler sends it where the
 *     finished patch would: into the entry stub (attach) or into the relocated copy of the
 *     original instructions (detach), so no call is lost and none runs half-written bytes;
 *  2. (attach only) a thread may have stopped *inside* the instructions being replaced (after
 *     `push rbp`, say). Every other thread gets a signal; the handler moves a thread found at
 *     such a boundary to the same instruction in the relocated copy. After all acknowledge, no
 *     thread can be there: the only way in is through the int3;
 *  3. write bytes 1..n-1; serialize; 4. write byte 0; serialize; the handler from now on sends
 *     late trappers back to the site to run the finished bytes.
 *
 * Code pages are never writable: bytes are written through /proc/self/mem (as a debugger's
 * ptrace pokes do), so a page is read-execute before, during and after. Only when the kernel
 * refuses that (no /proc) does it fall back to a read-write-execute window with mprotect.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "hooks/x86_64/tramp.h"

/* Every trampoline ever registered, for the signal handlers: append-only. */
static struct ub_tramp *tramps[UB_TRAMP_MAX];
static uint32_t n_tramps;

static struct sigaction old_trap;
static int handlers_installed;
static int mem_fd = -1;
static pid_t mem_pid;

/* The sweep in progress (step 2): one at a time, under the hooks lock. */
#define UB_SWEEP_SIG (SIGRTMAX - 2)
static struct ub_tramp *sweep_tramp;
static uint32_t sweep_acks;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uint32_t n = __atomic_load_n(&n_tramps, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++) {
		struct ub_tramp *t = tramps[i];

		if ((uint64_t)(uintptr_t)t->site != rip - 1)
			continue;
		switch (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE)) {
		case UB_TRAMP_ATTACHING:
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)t->entry;
			break;
		case UB_TRAMP_DETACHING:
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)t->copy;
			break;
		default: /* the patch is complete: run what is at the site now */
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(rip - 1);
			break;
		}
		return;
	}
	/* Not ours: hand it to whoever had SIGTRAP before us. */
	if (old_trap.sa_flags & SA_SIGINFO) {
		if (old_trap.sa_sigaction)
			old_trap.sa_sigaction(sig, si, ucv);
	} else if (old_trap.sa_handler == SIG_IGN) {
		return;
	} else if (old_trap.sa_handler != SIG_DFL) {
		old_trap.sa_handler(sig);
	} else {
		signal(SIGTRAP, SIG_DFL);
		raise(SIGTRAP);
	}
}

static void on_sweep(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct ub_tramp *t = __atomic_load_n(&sweep_tramp, __ATOMIC_ACQUIRE);
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	(void)si;
	if (t) {
		uint64_t site = (uint64_t)(uintptr_t)t->site;

		if (rip > site && rip < site + t->reloc.patch_len) {
			for (uint32_t i = 0; i < t->reloc.n_insn; i++)
				if (site + t->reloc.orig_off[i] == rip)
					uc->uc_mcontext.gregs[REG_RIP] =
						(greg_t)(uintptr_t)(t->copy + t->reloc.new_off[i]);
		}
	}
	__atomic_fetch_add(&sweep_acks, 1, __ATOMIC_RELEASE);
}

static int install_handlers(struct ub_log *log)
{
	struct sigaction sa;

	if (handlers_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, &old_trap)) {
		ub_err(log, "hooks: cannot install the SIGTRAP handler: %s", strerror(errno));
		return -errno;
	}
	sa.sa_sigaction = on_sweep;
	if (sigaction(UB_SWEEP_SIG, &sa, NULL)) {
		ub_err(log, "hooks: cannot install the signal %d handler: %s", UB_SWEEP_SIG,
		       strerror(errno));
		return -errno;
	}
	handlers_installed = 1;
	return 0;
}

int ub_x86_patch_register(struct ub_tramp *t, struct ub_log *log)
{
	int err = install_handlers(log);

	if (err)
		return err;
	if (n_tramps == UB_TRAMP_MAX) {
		ub_err(log, "hooks: %d functions already hooked in this process", UB_TRAMP_MAX);
		return -ENOMEM;
	}
	tramps[n_tramps] = t;
	__atomic_store_n(&n_tramps, n_tramps + 1, __ATOMIC_RELEASE);
	return 0;
}

int ub_x86_text_write(uint8_t *addr, const uint8_t *src, size_t len)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)4095;
	uintptr_t end = ((uintptr_t)addr + len + 4095) & ~(uintptr_t)4095;

	/* /proc/self/mem names the opener's memory: a forked child must open its own. */
	if (mem_fd >= 0 && mem_pid != getpid()) {
		close(mem_fd);
		mem_fd = -1;
	}
	if (mem_fd < 0) {
		mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		mem_pid = getpid();
	}
	if (mem_fd >= 0 && pwrite(mem_fd, src, len, (off_t)(uintptr_t)addr) == (ssize_t)len)
		return 0;
	/* No /proc: a short read-write-execute window (other threads keep executing the page). */
	if (mprotect((void *)page, end - page, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -errno;
	memcpy(addr, src, len);
	if (mprotect((void *)page, end - page, PROT_READ | PROT_EXEC))
		return -errno;
	return 0;
}

/* Step 2: signal every other thread and wait until each has run on_sweep. */
static int sweep_threads(struct ub_tramp *t, struct ub_log *log)
{
	pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
	struct timespec start, now;
	uint32_t sent = 0;
	struct dirent *de;
	DIR *dir;

	__atomic_store_n(&sweep_acks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sweep_tramp, t, __ATOMIC_RELEASE);
	dir = opendir("/proc/self/task");
	if (!dir) {
		ub_err(log, "hooks: cannot list the threads (/proc/self/task): %s",
		       strerror(errno));
		__atomic_store_n(&sweep_tramp, NULL, __ATOMIC_RELEASE);
		return -EBUSY;
	}
	while ((de = readdir(dir))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || tid == self)
			continue;
		if (syscall(SYS_tgkill, pid, tid, UB_SWEEP_SIG) == 0)
			sent++;
	}
	closedir(dir);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (__atomic_load_n(&sweep_acks, __ATOMIC_ACQUIRE) < sent) {
		struct timespec ts = { 0, 50000 };

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 3) {
			ub_err(log, "hooks: %s: %u of %u threads did not reach a safe point within "
			       "3 s (signal %d blocked, or thread stopped)", t->name,
			       sent - __atomic_load_n(&sweep_acks, __ATOMIC_ACQUIRE), sent,
			       UB_SWEEP_SIG);
			/* Late handlers still run, harmlessly: sweep_tramp is cleared. */
			__atomic_store_n(&sweep_tramp, NULL, __ATOMIC_RELEASE);
			return -EBUSY;
		}
		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&sweep_tramp, NULL, __ATOMIC_RELEASE);
	return 0;
}

int ub_x86_patch(struct ub_tramp *t, const uint8_t *bytes, int attaching, struct ub_log *log)
{
	static const uint8_t int3 = 0xcc;
	uint32_t len = t->reloc.patch_len;
	int err;

	__atomic_store_n(&t->state, attaching ? UB_TRAMP_ATTACHING : UB_TRAMP_DETACHING,
			 __ATOMIC_RELEASE);
	err = ub_x86_text_write(t->site, &int3, 1);
	if (err)
		goto fail;
	ub_hook_sync_core();
	if (attaching && t->reloc.n_insn > 1) {
		err = sweep_threads(t, log);
		if (err) {
			/* Put the original first byte back: nothing else changed. */
			ub_x86_text_write(t->site, t->orig, 1);
			ub_hook_sync_core();
			goto out;
		}
	}
	err = ub_x86_text_write(t->site + 1, bytes + 1, len - 1);
	if (err)
		goto fail;
	ub_hook_sync_core();
	err = ub_x86_text_write(t->site, bytes, 1);
	if (err)
		goto fail;
	ub_hook_sync_core();
	goto out;
fail:
	ub_err(log, "hooks: %s: cannot write code at %p: %s", t->name, (void *)t->site,
	       strerror(-err));
	/* Best effort: the original instructions, first byte last. */
	if (!ub_x86_text_write(t->site + 1, t->orig + 1, len - 1))
		ub_x86_text_write(t->site, t->orig, 1);
	ub_hook_sync_core();
out:
	__atomic_store_n(&t->state, UB_TRAMP_IDLE, __ATOMIC_RELEASE);
	return err;
}
