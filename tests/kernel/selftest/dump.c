/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dump.c: turns the table of Linux verifier selftest cases (built at test time by
 * tests/kernel/extract.sh from "cases.inc") into the line format read by
 * tests/kernel/kernel_verifier.c, one case per line, tab-separated:
 *   file idx prog_type flags attach result result_unpriv skip fixups insns-hex descr
 * skip is "-" or why the case cannot run identically on both sides; fixups is "-" or
 * "kind=i,j;kind=k" (instruction indexes whose imm becomes a map of that kind).
 */
#include <stdio.h>
#include <string.h>

#include "bpf_test.h"

struct ub_kt_file {
	const char *name;
	struct bpf_test *cases;
	size_t cnt;
};

#include "cases.inc" /* generated: the case arrays, then UB_KT_FILES (struct ub_kt_file[]) */

/* Length of a case: up to the last slot that is not all-zero in code and imm (as Linux does). */
static int prog_len(const struct bpf_test *t)
{
	int len;

	for (len = UB_KT_MAX_INSNS - 1; len > 0; len--)
		if (t->insns[len].code || t->insns[len].imm)
			break;
	return len + 1;
}

static void put_fixup(const char *kind, const int *idx, int *first)
{
	if (!idx[0])
		return;
	printf("%s%s=", *first ? "" : ";", kind);
	*first = 0;
	for (int i = 0; i < UB_KT_MAX_FIXUPS && idx[i]; i++)
		printf("%s%d", i ? "," : "", idx[i]);
}

static const char *skip_reason(const struct bpf_test *t)
{
	if (t->fill_helper || t->fill_insns)
		return "generated-by-fill-helper";
	if (t->kfunc || t->fixup_kfunc_btf_id[0].kfunc)
		return "needs-kernel-btf-or-kfunc";
	if (t->func_info_cnt || t->btf_types[0])
		return "needs-btf-func-info";
	return "-";
}

int main(void)
{
	for (size_t f = 0; f < sizeof(UB_KT_FILES) / sizeof(UB_KT_FILES[0]); f++) {
		const struct ub_kt_file *file = &UB_KT_FILES[f];

		for (size_t i = 0; i < file->cnt; i++) {
			const struct bpf_test *t = &file->cases[i];
			const unsigned char *p = (const unsigned char *)t->insns;
			int len = prog_len(t), first = 1;

			printf("%s\t%zu\t%d\t%u\t%d\t%d\t%d\t%s\t", file->name, i, (int)t->prog_type,
			       t->flags, (int)t->expected_attach_type, t->result, t->result_unpriv,
			       skip_reason(t));
#define FIX(kind) put_fixup(#kind, t->fixup_##kind, &first);
			FIX(map_hash_8b) FIX(map_hash_48b) FIX(map_hash_16b) FIX(map_array_48b)
			FIX(map_sockmap) FIX(map_sockhash) FIX(map_xskmap) FIX(map_stacktrace)
			FIX(prog1) FIX(prog2) FIX(map_in_map) FIX(cgroup_storage)
			FIX(percpu_cgroup_storage) FIX(map_spin_lock) FIX(map_array_ro)
			FIX(map_array_wo) FIX(map_array_small) FIX(sk_storage_map)
			FIX(map_event_output) FIX(map_reuseport_array) FIX(map_ringbuf)
			FIX(map_timer) FIX(map_kptr)
#undef FIX
			printf("%s\t", first ? "-" : "");
			for (size_t b = 0; b < (size_t)len * sizeof(struct bpf_insn); b++)
				printf("%02x", p[b]);
			putchar('\t');
			for (const char *d = t->descr ? t->descr : "?"; *d; d++)
				putchar(*d == '\t' || *d == '\n' ? ' ' : *d);
			putchar('\n');
		}
	}
	return 0;
}
