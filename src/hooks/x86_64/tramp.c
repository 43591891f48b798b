/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tramp.c: x86-64 function trampolines: attach eBPF programs at the entry and the return of any
 * function of the process.
 *
 * The first 5+ bytes of the function (after its endbr64, which stays so indirect calls remain
 * valid under IBT) become `jmp entry_stub`; the instructions they held are relocated into the
 * stub page (reloc.c) followed by a jmp back. The page is written read-write, then switched to
 * read-execute, and is never unmapped (see struct ub_tramp). The patch itself is live and safe
 * against running threads (patch.c).
 *
 * entry_stub saves every integer register into a struct userbpf_pt_regs on the stack (plus
 * xmm0-15), calls ub_tramp_on_entry(), restores every register and either continues into the
 * relocated prologue or, when an override program asked for it, returns to the caller with
 * rax = its value. For return programs the entry handler replaces the caller's return address
 * by ret_stub and remembers it on a per-thread shadow stack; ret_stub saves every register,
 * calls ub_tramp_on_return(), which runs the programs and gives back the real return address,
 * restores every register and returns there. Not preserved: the upper halves of ymm/zmm
 * registers (a caller built with -mavx and -fipa-ra that keeps 256-bit values across the call
 * could lose them if a program's helper uses AVX) and the x87 stack.
 *
 * The handlers are the hot path: no allocation, no lock, no system call; the program list is
 * read inside a read-side section (hooks.h) and a per-thread counter stops recursion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hooks/x86_64/tramp.h"

/* The hot-path functions (UB_HOOK_HOT), bounds made by the linker: never patch these. */
extern const uint8_t __start_ub_hook_text[] __attribute__((visibility("hidden"), weak));
extern const uint8_t __stop_ub_hook_text[] __attribute__((visibility("hidden"), weak));

/* Stub page layout. */
#define COPY_OFF 0
#define ENTRY_OFF 256
#define RET_OFF 1024
#define PAGE_SZ 4096

/*
 * Stack frames of the stubs: struct userbpf_pt_regs (168 bytes) then xmm0-15. Every register is
 * saved and restored, not only the ABI's argument and return registers: with gcc's -fipa-ra a
 * caller keeps values in caller-saved registers (r8-r11, xmm8-15...) across a call to a function
 * it knows does not touch them, so a hook must not touch them either.
 */
#define REGS_SZ 168
#define FRAME (REGS_SZ + 16 * 16)
/* Offsets of struct userbpf_pt_regs fields, by x86 register number (rax=0 ... r15=15). */
static const uint8_t reg_off[16] = {
	[0] = 80,  [1] = 88,  [2] = 96,  [3] = 40,  [4] = 152, [5] = 32,  [6] = 104, [7] = 112,
	[8] = 72,  [9] = 64,  [10] = 56, [11] = 48, [12] = 24, [13] = 16, [14] = 8,  [15] = 0,
};
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
#define OFF_ORIG_RAX 120
#define OFF_RIP 128
#define OFF_CS 136
#define OFF_EFLAGS 144
#define OFF_SS 160

/* Every trampoline (under the hooks lock). */
struct tramp_node {
	struct ub_tramp t;
	struct tramp_node *next;
};
static struct tramp_node *nodes;

/* ---- the hot path -------------------------------------------------------------------------- */

/*
 * fentry-style context: 12 slots like the tracing program type's (MAX_BPF_FUNC_ARGS), so a
 * verified program reading any of them stays inside this array; unused slots read 0.
 */
#define UB_ARGS_SLOTS 12

static inline void args_from_regs(uint64_t *args, const struct userbpf_pt_regs *r)
{
	args[0] = r->rdi;
	args[1] = r->rsi;
	args[2] = r->rdx;
	args[3] = r->rcx;
	args[4] = r->r8;
	args[5] = r->r9;
}

/* Run return programs e[from, to) with the return value ret. */
static inline void run_ret(const struct ub_hook_list *l, uint32_t from,
			   struct userbpf_pt_regs *regs, uint64_t *args, uint64_t ret, uint64_t fip)
{
	regs->rax = ret;
	for (uint32_t i = from; i < l->cnt; i++) {
		const struct ub_hook_entry *e = &l->e[i];

		if (e->ctx == USERBPF_TRAMP_CTX_ARGS) {
			args[e->nr_args] = ret;
			ub_hook_run(e, args, 8u * (e->nr_args + 1u), fip);
		} else {
			ub_hook_run(e, regs, sizeof(*regs), fip);
		}
	}
}

/*
 * Called by the entry stub. Returns 0: run the function; 1: return regs->rax to the caller
 * without running it (an override program asked for it).
 */
static UB_HOOK_HOT uint64_t ub_tramp_on_entry(struct userbpf_pt_regs *regs, struct ub_tramp *t)
{
	struct ub_hook_thread *th = ub_hook_thread();
	const struct ub_hook_list *l;
	uint64_t args[UB_ARGS_SLOTS] = { 0 };
	uint64_t skip = 0, ret = 0, fip = (uint64_t)(uintptr_t)t->func;
	uint32_t i, n;

	if (__builtin_expect(!th, 0))
		return 0;
	ub_hook_enter(th);
	l = __atomic_load_n(&t->list, __ATOMIC_ACQUIRE);
	if (__builtin_expect(!l, 0))
		goto out;
	if (__builtin_expect(th->nest > 1, 0)) {
		ub_hook_miss(l, 0, l->cnt);
		goto out;
	}
	args_from_regs(args, regs);
	for (i = 0; i < l->n_entry; i++) {
		const struct ub_hook_entry *e = &l->e[i];

		if (e->ctx == USERBPF_TRAMP_CTX_ARGS)
			ub_hook_run(e, args, 8u * e->nr_args, fip);
		else
			ub_hook_run(e, regs, sizeof(*regs), fip);
	}
	n = l->n_entry + l->n_ovr;
	for (; i < n; i++) {
		const struct ub_hook_entry *e = &l->e[i];
		uint64_t r0;

		if (e->ctx == USERBPF_TRAMP_CTX_ARGS) {
			args[e->nr_args] = 0;
			r0 = ub_hook_run(e, args, 8u * (e->nr_args + 1u), fip);
		} else {
			r0 = ub_hook_run(e, regs, sizeof(*regs), fip);
		}
		if (r0) {
			ret = r0;
			skip = 1;
			break;
		}
	}
	if (skip) {
		/* fexit-style: return programs see the overridden value. */
		if (l->n_ret)
			run_ret(l, n, regs, args, ret, fip);
		regs->rax = ret;
		goto out;
	}
	if (l->n_ret) {
		uint32_t top = th->shadow_top;
		uint64_t *slot = (uint64_t *)(uintptr_t)regs->rsp;

		/* Entries of frames that longjmp skipped lie below this one: drop them. */
		while (top && th->shadow[top - 1].sp <= regs->rsp)
			top--;
		if (top == UB_HOOK_SHADOW_DEPTH) {
			ub_hook_miss(l, n, l->cnt);
		} else {
			struct ub_hook_ret *s = &th->shadow[top];

			s->ret_addr = *slot;
			s->sp = regs->rsp;
			s->tramp = t;
			memcpy(s->args, args, sizeof(s->args));
			*slot = (uint64_t)(uintptr_t)t->ret_stub;
			top++;
		}
		th->shadow_top = top;
	}
out:
	ub_hook_exit(th);
	return skip;
}

/* Called by the return stub: runs return programs; returns the real return address. */
static UB_HOOK_HOT uint64_t ub_tramp_on_return(struct userbpf_pt_regs *regs, struct ub_tramp *t)
{
	struct ub_hook_thread *th = ub_hook_tls;
	uint64_t entry_sp = regs->rsp - 8, args[UB_ARGS_SLOTS] = { 0 };
	const struct ub_hook_list *l;
	struct ub_hook_ret *s;
	uint32_t top;

	top = th && (uintptr_t)th > 1 ? th->shadow_top : 0;
	while (top && th->shadow[top - 1].sp < entry_sp)
		top--; /* skipped by longjmp */
	if (__builtin_expect(!top || th->shadow[top - 1].sp != entry_sp ||
			     th->shadow[top - 1].tramp != t, 0)) {
		static const char msg[] = "userbpf: return trampoline lost its return address "
					  "(stack switched under a hooked function?)\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
	s = &th->shadow[--top];
	th->shadow_top = top;
	ub_hook_enter(th);
	l = __atomic_load_n(&t->list, __ATOMIC_ACQUIRE);
	if (l && l->n_ret) {
		if (__builtin_expect(th->nest > 1, 0)) {
			ub_hook_miss(l, l->n_entry + l->n_ovr, l->cnt);
		} else {
			memcpy(args, s->args, sizeof(s->args));
			run_ret(l, l->n_entry + l->n_ovr, regs, args, regs->rax,
				(uint64_t)(uintptr_t)t->func);
		}
	}
	ub_hook_exit(th);
	return s->ret_addr;
}

/* ---- stub code ----------------------------------------------------------------------------- */

struct emit {
	uint8_t *p;
};

static void b(struct emit *e, uint8_t v)
{
	*e->p++ = v;
}

static void d32(struct emit *e, uint32_t v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

static void d64(struct emit *e, uint64_t v)
{
	memcpy(e->p, &v, 8);
	e->p += 8;
}

/* mov [rsp + off], reg  (store = 1) or mov reg, [rsp + off] */
static void mov_rsp(struct emit *e, int store, int reg, uint32_t off)
{
	b(e, 0x48 | (reg >= 8 ? 0x4 : 0));
	b(e, store ? 0x89 : 0x8b);
	b(e, 0x84 | ((reg & 7) << 3));
	b(e, 0x24);
	d32(e, off);
}

/* movups [rsp + off], xmmN  or  movups xmmN, [rsp + off] */
static void movups_rsp(struct emit *e, int store, int xmm, uint32_t off)
{
	if (xmm >= 8)
		b(e, 0x44);
	b(e, 0x0f);
	b(e, store ? 0x11 : 0x10);
	b(e, 0x84 | ((xmm & 7) << 3));
	b(e, 0x24);
	d32(e, off);
}

static void zero_rsp(struct emit *e, uint32_t off)
{
	b(e, 0x48), b(e, 0xc7), b(e, 0x84), b(e, 0x24);
	d32(e, off);
	d32(e, 0);
}

static void save_all(struct emit *e)
{
	for (int r = 0; r < 16; r++)
		if (r != RSP)
			mov_rsp(e, 1, r, reg_off[r]);
	for (int x = 0; x < 16; x++)
		movups_rsp(e, 1, x, REGS_SZ + 16u * (uint32_t)x);
}

static void restore_all(struct emit *e)
{
	for (int x = 0; x < 16; x++)
		movups_rsp(e, 0, x, REGS_SZ + 16u * (uint32_t)x);
	for (int r = 0; r < 16; r++)
		if (r != RSP)
			mov_rsp(e, 0, r, reg_off[r]);
}

/*
 * Below a frame of FRAME bytes just made: save everything, set regs.rsp = rsp + sp_adj and
 * regs.rip = rip, then call fn(regs, t) on a 16-byte aligned stack; rax = its result, rsp back
 * at the frame.
 */
static void save_and_call(struct emit *e, uint32_t sp_adj, uint64_t rip, uint64_t fn,
			  const struct ub_tramp *t)
{
	b(e, 0x48), b(e, 0x81), b(e, 0xec), d32(e, FRAME);       /* sub rsp, FRAME */
	save_all(e);
	b(e, 0x48), b(e, 0x8d), b(e, 0x84), b(e, 0x24), d32(e, sp_adj); /* lea rax, [rsp+adj] */
	mov_rsp(e, 1, RAX, reg_off[RSP]);
	b(e, 0x48), b(e, 0xb8), d64(e, rip);                      /* mov rax, rip */
	mov_rsp(e, 1, RAX, OFF_RIP);
	zero_rsp(e, OFF_ORIG_RAX);
	zero_rsp(e, OFF_CS);
	zero_rsp(e, OFF_EFLAGS);
	zero_rsp(e, OFF_SS);
	b(e, 0x48), b(e, 0x89), b(e, 0xe3);                       /* mov rbx, rsp */
	b(e, 0x48), b(e, 0x83), b(e, 0xe4), b(e, 0xf0);           /* and rsp, -16 */
	b(e, 0x48), b(e, 0x89), b(e, 0xdf);                       /* mov rdi, rbx */
	b(e, 0x48), b(e, 0xbe), d64(e, (uint64_t)(uintptr_t)t);   /* mov rsi, t */
	b(e, 0x48), b(e, 0xb8), d64(e, fn);                       /* mov rax, fn */
	b(e, 0xff), b(e, 0xd0);                                   /* call rax */
	b(e, 0x48), b(e, 0x89), b(e, 0xdc);                       /* mov rsp, rbx */
}

/* lea rsp, [rsp + off]: drops the frame without touching the flags */
static void lea_rsp(struct emit *e, uint32_t off)
{
	b(e, 0x48), b(e, 0x8d), b(e, 0xa4), b(e, 0x24), d32(e, off);
}

static void emit_entry(struct emit *e, const struct ub_tramp *t)
{
	uint8_t *after;

	save_and_call(e, FRAME, (uint64_t)(uintptr_t)t->func,
		      (uint64_t)(uintptr_t)ub_tramp_on_entry, t);
	mov_rsp(e, 1, RAX, OFF_ORIG_RAX);                         /* the verdict, kept in memory */
	restore_all(e);                                           /* rax = regs.rax */
	b(e, 0x48), b(e, 0x83), b(e, 0xbc), b(e, 0x24), d32(e, OFF_ORIG_RAX), b(e, 0); /* cmp 0 */
	lea_rsp(e, FRAME);
	b(e, 0x75), b(e, 0x05);                                   /* jne ret */
	after = e->p + 5;
	b(e, 0xe9), d32(e, (uint32_t)(int32_t)(t->copy - after)); /* jmp copy */
	b(e, 0xc3);                                               /* ret */
}

static void emit_ret(struct emit *e, const struct ub_tramp *t)
{
	b(e, 0x48), b(e, 0x83), b(e, 0xec), b(e, 0x08);           /* sub rsp, 8: return slot */
	save_and_call(e, FRAME + 8, 0, (uint64_t)(uintptr_t)ub_tramp_on_return, t);
	mov_rsp(e, 1, RAX, FRAME);                                /* slot = real return address */
	restore_all(e);
	lea_rsp(e, FRAME);
	b(e, 0xc3);                                               /* ret */
}

/* A page within +-2 GiB of site (rel32 jumps both ways), read-write for now. */
static uint8_t *alloc_near(const uint8_t *site)
{
	uintptr_t base = (uintptr_t)site & ~(uintptr_t)0xfffff;
	const uintptr_t step = 1u << 20, lim = 0x7fff0000ul;

	for (uintptr_t d = step; d < lim - 2 * step; d += step) {
		for (int dir = -1; dir <= 1; dir += 2) {
			uintptr_t want = dir < 0 ? base - d : base + d;
			void *p;

			if ((dir < 0 && base < d) || want >= 0x7ffffffff000ul || want < 0x10000)
				continue;
			p = mmap((void *)want, PAGE_SZ, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == (void *)want)
				return p;
			if (p != MAP_FAILED)
				munmap(p, PAGE_SZ);
		}
	}
	return NULL;
}

static int is_hot_text(const uint8_t *p)
{
	return __start_ub_hook_text && p >= __start_ub_hook_text && p < __stop_ub_hook_text;
}

/* Build the trampoline of the function at func (size bytes, 0: unknown). Hooks lock held. */
static struct ub_tramp *tramp_create(uint8_t *func, size_t size, const char *name,
				     struct ub_log *log, int *errp)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	struct tramp_node *node;
	struct ub_tramp *t;
	struct emit e;
	char why[200];
	size_t avail;
	int err;

	if (is_hot_text(func)) {
		ub_err(log, "hooks: %s is part of the hook machinery itself: refusing to hook it",
		       name);
		*errp = -EINVAL;
		return NULL;
	}
	node = calloc(1, sizeof(*node));
	if (!node) {
		*errp = -ENOMEM;
		return NULL;
	}
	t = &node->t;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->func = func;
	t->site = func;
	if ((!size || size >= 9) && !memcmp(func, endbr64, 4))
		t->site = func + 4;
	avail = size ? size - (size_t)(t->site - func) : UB_TRAMP_MAX_PATCH;
	t->page = alloc_near(t->site);
	if (!t->page) {
		ub_err(log, "hooks: %s: no free page within 2 GiB of %p for its trampoline", name,
		       (void *)func);
		err = -ENOMEM;
		goto fail;
	}
	t->copy = t->page + COPY_OFF;
	t->entry = t->page + ENTRY_OFF;
	t->ret_stub = t->page + RET_OFF;
	err = ub_x86_reloc(t->site, avail, size ? func : NULL, size, t->copy, &t->reloc, why,
			   sizeof(why));
	if (err) {
		ub_err(log, "hooks: cannot hook %s at %p: %s", name, (void *)func, why);
		goto fail;
	}
	if (!size)
		ub_info(log, "hooks: %s: function size unknown, branches into its first %u bytes "
			"were not checked", name, t->reloc.patch_len);
	memcpy(t->orig, t->site, t->reloc.patch_len);
	memset(t->page, 0xcc, PAGE_SZ);
	memcpy(t->copy, t->reloc.code, t->reloc.code_len);
	e.p = t->entry;
	emit_entry(&e, t);
	if (e.p > t->ret_stub)
		goto bug;
	e.p = t->ret_stub;
	emit_ret(&e, t);
	if (e.p > t->page + PAGE_SZ)
		goto bug;
	if (mprotect(t->page, PAGE_SZ, PROT_READ | PROT_EXEC)) {
		err = -errno;
		ub_err(log, "hooks: %s: cannot make the trampoline executable: %s", name,
		       strerror(errno));
		goto fail;
	}
	err = ub_x86_patch_register(t, log);
	if (err)
		goto fail;
	node->next = nodes;
	nodes = node;
	return t;
bug:
	ub_err(log, "BUG: hooks: trampoline stubs overflow their page");
	err = -EFAULT;
fail:
	if (t->page)
		munmap(t->page, PAGE_SZ);
	free(node);
	*errp = err;
	return NULL;
}

static struct ub_tramp *tramp_find(const uint8_t *func)
{
	for (struct tramp_node *n = nodes; n; n = n->next)
		if (n->t.func == func)
			return &n->t;
	return NULL;
}

static int check_opts(struct userbpf_prog *prog, const struct userbpf_tramp_opts *opts,
		      struct userbpf_tramp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	if (opts) {
		if (opts->sz < sizeof(size_t)) {
			ub_err(&prog->env->log, "hooks: userbpf_tramp_opts.sz is not set");
			return -EINVAL;
		}
		memcpy(o, opts, opts->sz < sizeof(*o) ? opts->sz : sizeof(*o));
	}
	if ((unsigned)o->kind > USERBPF_TRAMP_OVERRIDE ||
	    (unsigned)o->ctx > USERBPF_TRAMP_CTX_ARGS ||
	    o->nr_args > UB_HOOK_MAX_ARGS) {
		ub_err(&prog->env->log, "hooks: bad trampoline options (kind %d, ctx %d, nr_args "
		       "%u; nr_args is at most %d)", (int)o->kind, (int)o->ctx, o->nr_args,
		       UB_HOOK_MAX_ARGS);
		return -EINVAL;
	}
	return 0;
}

static struct userbpf_link *attach(struct userbpf_prog *prog, uint8_t *func, size_t size,
				   const char *name, const struct userbpf_tramp_opts *o)
{
	struct ub_log *log = &prog->env->log;
	struct ub_hook_list *old, *list;
	struct userbpf_link *link;
	struct ub_tramp *t;
	int err = 0;

	link = ub_link_new(prog, UB_LINK_TRAMP, NULL);
	if (!link)
		return NULL;
	link->kind = (uint8_t)o->kind;
	link->ctx = (uint8_t)o->ctx;
	link->nr_args = (uint8_t)o->nr_args;
	ub_hooks_lock();
	err = ub_hook_sync_init(log);
	if (err)
		goto fail;
	t = tramp_find(func);
	if (t && !t->patched) {
		/*
		 * Hooked before and since detached: the code there must still be what was
		 * relocated (a library unloaded and another loaded at that address is not).
		 */
		uint8_t now[UB_TRAMP_MAX_PATCH];
		struct iovec local = { now, t->reloc.patch_len };
		struct iovec remote = { t->site, t->reloc.patch_len };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) !=
			    (ssize_t)t->reloc.patch_len ||
		    memcmp(now, t->orig, t->reloc.patch_len)) {
			ub_err(log, "hooks: %s at %p: the code changed since it was last hooked "
			       "(library reloaded?); refusing to patch it", name, (void *)func);
			err = -EBUSY;
			goto fail;
		}
	}
	if (!t) {
		t = tramp_create(func, size, name, log, &err);
		if (!t)
			goto fail;
	}
	link->target = t;
	old = t->list;
	list = ub_hook_list_edit(old, link, 1);
	if (!list) {
		err = -ENOMEM;
		goto fail;
	}
	__atomic_store_n(&t->list, list, __ATOMIC_RELEASE);
	if (!t->patched) {
		uint8_t jmp[UB_TRAMP_MAX_PATCH];
		int32_t rel = (int32_t)(t->entry - (t->site + 5));

		memset(jmp, 0xcc, sizeof(jmp));
		jmp[0] = 0xe9;
		memcpy(jmp + 1, &rel, 4);
		err = ub_x86_patch(t, jmp, 1, log);
		if (err) {
			__atomic_store_n(&t->list, old, __ATOMIC_RELEASE);
			ub_hook_synchronize();
			free(list);
			goto fail;
		}
		t->patched = 1;
	}
	ub_hook_synchronize();
	free(old);
	ub_hooks_unlock();
	return link;
fail:
	ub_hooks_unlock();
	ub_free(prog->env, link);
	errno = -err;
	return NULL;
}

void ub_tramp_detach(struct userbpf_link *link)
{
	struct ub_tramp *t = link->target;
	struct ub_hook_list *old = t->list, *list;

	list = ub_hook_list_edit(old, link, 0);
	if (!list)
		ub_err(&link->env->log, "hooks: %s: no memory to rebuild the program list; "
		       "detaching every program of the function", t->name);
	else if (!list->cnt) {
		free(list);
		list = NULL;
	}
	__atomic_store_n(&t->list, list, __ATOMIC_RELEASE);
	if (!list && t->patched) {
		/* Last program gone: put the original bytes back (a failure leaves a jump to a
		 * trampoline that runs nothing, which is still correct). */
		if (!ub_x86_patch(t, t->orig, 0, &link->env->log))
			t->patched = 0;
	}
	/* Threads still inside the handlers drain; a pending return keeps working because
	 * the stub page stays. */
	ub_hook_synchronize();
	free(old);
}

USERBPF_API struct userbpf_link *userbpf_tramp_attach_addr(struct userbpf_prog *prog, void *addr,
							   const struct userbpf_tramp_opts *opts)
{
	struct userbpf_tramp_opts o;
	struct ub_sym sym;
	char name[64];
	int err;

	if (!prog || !addr) {
		errno = EINVAL;
		return NULL;
	}
	err = check_opts(prog, opts, &o);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (ub_sym_find_addr(addr, &sym, name, sizeof(name)) || sym.addr != addr) {
		sym.size = 0;
		snprintf(name, sizeof(name), "function at %p", addr);
	}
	return attach(prog, addr, sym.size, name, &o);
}

USERBPF_API struct userbpf_link *userbpf_tramp_attach(struct userbpf_prog *prog,
						      const char *symbol,
						      const struct userbpf_tramp_opts *opts)
{
	struct userbpf_tramp_opts o;
	struct ub_sym sym;
	int err;

	if (!prog || !symbol) {
		errno = EINVAL;
		return NULL;
	}
	err = check_opts(prog, opts, &o);
	if (err) {
		errno = -err;
		return NULL;
	}
	err = ub_sym_find(o.object, symbol, &sym);
	if (err) {
		ub_err(&prog->env->log, "hooks: no function '%s'%s%s in the loaded objects", symbol,
		       o.object ? " in " : "", o.object ? o.object : "");
		errno = -err;
		return NULL;
	}
	return attach(prog, sym.addr, sym.size, symbol, &o);
}
