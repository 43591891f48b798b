/* SPDX-License-Identifier: Apache-2.0 */
/* tramp.h: x86-64 function trampolines: the per-function record, relocation and live patching. */
#ifndef UB_X86_TRAMP_H
#define UB_X86_TRAMP_H

#include <stddef.h>
#include <stdint.h>

#include "hooks/hooks.h"

#define UB_TRAMP_MAX_PATCH 32 /* bytes of whole instructions replaced at most */
#define UB_TRAMP_MAX_INSNS 16
#define UB_TRAMP_MAX 4096     /* functions hooked over the life of the process */

enum ub_tramp_state {
	UB_TRAMP_IDLE = 0,      /* the site holds whole instructions (original, or the jmp) */
	UB_TRAMP_ATTACHING = 1, /* int3 at site: a thread trapping there goes to the entry stub */
	UB_TRAMP_DETACHING = 2, /* int3 at site: a thread trapping there runs the original code */
};

/* The prologue instructions moved into the trampoline, and where each one went. */
struct ub_reloc {
	uint32_t patch_len;                /* bytes replaced at the site (>= 5) */
	uint32_t n_insn;
	uint8_t orig_off[UB_TRAMP_MAX_INSNS]; /* offset of each instruction at the site */
	uint8_t new_off[UB_TRAMP_MAX_INSNS];  /* and in the relocated copy */
	uint8_t code[UB_TRAMP_MAX_INSNS * 8 + 16]; /* the relocated copy + jmp back */
	uint32_t code_len;
};

/*
 * One hooked function. Created on the first attach and never freed: its stub page stays
 * mapped (a few hundred bytes of code per function ever hooked) so that a thread that was
 * about to enter it, or that must still return through it, always finds valid code. A later
 * attach to the same function reuses it.
 */
struct ub_tramp {
	uint8_t *func;        /* the function */
	uint8_t *site;        /* the patched address: func, or func + 4 after endbr64 */
	uint8_t orig[UB_TRAMP_MAX_PATCH]; /* the original bytes at site */
	struct ub_reloc reloc;
	uint8_t *page;        /* the stub page (read-execute) */
	uint8_t *entry;       /* entry stub */
	uint8_t *ret_stub;    /* return stub: the hooked function returns here */
	uint8_t *copy;        /* relocated prologue, then jmp site + patch_len */
	int state;            /* enum ub_tramp_state, read by the SIGTRAP handler */
	int patched;          /* the jmp is in place */
	struct ub_hook_list *list; /* attached programs, NULL when none */
	char name[64];        /* symbol or address, for messages */
};

/*
 * Decode the instructions at site (at least 5 bytes of whole instructions, within `avail`
 * bytes), check that they can run elsewhere, and write them relocated for address `dest`
 * followed by a jmp back. body/body_len: the whole function (scanned for branches into the
 * patched bytes). Returns 0, or -ENOTSUP with the reason in why.
 */
int ub_x86_reloc(const uint8_t *site, size_t avail, const uint8_t *body, size_t body_len,
		 uint8_t *dest, struct ub_reloc *out, char *why, size_t why_len);

/*
 * Replace the patch_len bytes at t->site with `bytes`, live: int3 first, (attach) move threads
 * that stand inside the old instructions to their relocated copies, the tail, then the first
 * byte, with a core serialization after each step. Caller holds the hooks lock.
 * Returns 0, -EBUSY (threads did not reach a safe point), -EPERM/-EFAULT (text not writable).
 */
int ub_x86_patch(struct ub_tramp *t, const uint8_t *bytes, int attaching, struct ub_log *log);
/* Make t known to the SIGTRAP handler (before its first patch). Returns 0 or -ENOMEM. */
int ub_x86_patch_register(struct ub_tramp *t, struct ub_log *log);
/* Write len bytes of code at addr (page stays read-execute when the kernel allows). */
int ub_x86_text_write(uint8_t *addr, const uint8_t *src, size_t len);

/* Symbol lookup in the loaded objects (src/hooks/symbol.c). */
struct ub_sym {
	uint8_t *addr;
	size_t size;           /* 0 when unknown */
	char object[256];      /* file of the object that holds it */
};
/* Find function `name` (in the object whose path ends with `object`, or everywhere). */
int ub_sym_find(const char *object, const char *name, struct ub_sym *out);
/* Find the function symbol that covers addr. Returns 0 or -ENOENT. */
int ub_sym_find_addr(const void *addr, struct ub_sym *out, char *name, size_t name_len);

#endif /* UB_X86_TRAMP_H */
