/* SPDX-License-Identifier: Apache-2.0 */
/* verifier.h: the verifier's interface to the program object. */
#ifndef UB_VERIFIER_H
#define UB_VERIFIER_H

#include "core/core.h"

/* What the loader passes in from userbpf_prog_opts. */
struct ub_verify_opts {
	uint32_t flags;          /* USERBPF_VERIFY_F_* */
	uint32_t log_level;      /* 0, 1, 2 (Linux's levels) */
	char *log_buf;           /* caller's; NUL-terminated, truncated to log_size */
	size_t log_size;
	struct userbpf_verify_stats *stats; /* out, may be NULL */
};

/*
 * Prove prog safe; on success prog->insns may be rewritten (context loads moved to the runtime
 * layout), the loaded form kept in prog->orig_insns. The error sentence also goes to `log`.
 * Returns 0 (accepted), -EACCES (rejected, reason in the log and stats), -E2BIG (a limit, such
 * as the 1M processed-instruction budget), -ENOMEM, -EFAULT (internal invariant).
 */
int ub_verifier_run(struct userbpf_prog *prog, const struct ub_verify_opts *opts,
		    struct ub_log *log);

/*
 * Runtime soundness check (programs verified with USERBPF_VERIFY_F_RECORD): are the concrete
 * registers regs[0..10] about to execute instruction `insn` inside what the verifier computed
 * there? Registers that were a pointer or unset on some path, or whose value no longer matters
 * (the relevance pruning relied on), are not checked. Returns 0 when
 * they are (or nothing was recorded), -EFAULT with "insn N: R<r>=<value> outside <abstract>"
 * in msg (when msg_size > 0) otherwise. Allocates nothing; safe on a run path.
 */
int ub_verifier_check_concrete(const struct userbpf_prog *prog, size_t insn,
			       const uint64_t regs[11], char *msg, size_t msg_size);
/* Free what USERBPF_VERIFY_F_RECORD kept. NULL-safe, idempotent. */
void ub_verifier_record_free(struct userbpf_prog *prog);

#endif /* UB_VERIFIER_H */
