/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disasm.c: userbpf_prog_disasm_jited(): the x86-64 image of a program, disassembled with
 * capstone and interleaved with the eBPF instructions and their C source lines.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "isa/isa.h"
#include "jit/jit_int.h"

struct dout {
	userbpf_write_fn out;
	void *user;
	int stop;
};

static void say(struct dout *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct dout *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (d->stop)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	d->stop = d->out(d->user, buf, (size_t)n);
}

/* Disassemble image bytes [lo, hi) with capstone, one line per machine instruction. */
static int dump_range(struct dout *d, csh cs, cs_insn *ci, const struct ub_jit_image *img,
		      uint32_t lo, uint32_t hi, int raw)
{
	const uint8_t *code = (const uint8_t *)img->mem + lo;
	size_t size = hi - lo;
	uint64_t addr = lo;

	while (size && !d->stop) {
		if (!cs_disasm_iter(cs, &code, &size, &addr, ci)) {
			say(d, "      %04llx: (undecodable byte 0x%02x)\n", (unsigned long long)addr,
			    *code);
			code++, size--, addr++;
			continue;
		}
		if (raw) {
			char bytes[3 * 16 + 1] = "";

			for (int i = 0; i < ci->size && i < 16; i++)
				snprintf(bytes + 3 * i, sizeof(bytes) - 3 * (size_t)i, "%02x ",
					 ci->bytes[i]);
			say(d, "      %04llx: %-30s %s %s\n", (unsigned long long)ci->address, bytes,
			    ci->mnemonic, ci->op_str);
		} else {
			say(d, "      %04llx: %s %s\n", (unsigned long long)ci->address, ci->mnemonic,
			    ci->op_str);
		}
	}
	return d->stop;
}

USERBPF_API int userbpf_prog_disasm_jited(const struct userbpf_prog *prog,
					  const struct userbpf_disasm_opts *opts,
					  userbpf_write_fn out, void *user)
{
	struct userbpf_disasm_opts o = { .sz = sizeof(o) };
	const struct ub_jit_image *img;
	const struct userbpf_line_info *last = NULL;
	struct dout d = { out, user, 0 };
	cs_insn *ci;
	csh cs;

	if (!prog || !out)
		return -EINVAL;
	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	img = prog->jit;
	if (!img)
		return -ENOENT;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -ENOTSUP;
	ci = cs_malloc(cs);
	if (!ci) {
		cs_close(&cs);
		return -ENOMEM;
	}
	say(&d, "; %s: %zu eBPF instructions, %zu bytes of x86-64 at %p%s\n", prog->name, img->cnt,
	    img->code_len, img->mem, img->blinded ? ", constants blinded" : "");
	for (size_t i = 0, next; i < img->cnt && !d.stop; i = next) {
		const struct userbpf_line_info *li = ub_prog_line(prog, i);
		uint32_t end;
		char text[256];

		next = i + ub_isa_slots(&prog->insns[i]);
		if (next > img->cnt)
			next = img->cnt;
		if (img->fentry[i] != UINT32_MAX) {
			const char *fname = NULL;

			for (size_t k = 0; k < prog->func_info_cnt; k++)
				if (prog->func_info[k].insn == i)
					fname = prog->func_info[k].name;
			say(&d, "\n; %s %s (insn %zu): prologue\n", i ? "function" : "main",
			    fname ? fname : "", i);
			dump_range(&d, cs, ci, img, img->fentry[i], img->addrs[i], 0);
		}
		if (li && (!last || li->line != last->line ||
			   strcmp(li->file ? li->file : "", last->file ? last->file : ""))) {
			say(&d, "; %s:%u: %s\n", li->file ? li->file : "?", li->line,
			    li->text ? li->text : "");
			last = li;
		}
		if (userbpf_insn_format(&prog->insns[i], prog->cnt - i, o.syntax, text,
					sizeof(text)) < 0)
			snprintf(text, sizeof(text), ".insn 0x%02x", prog->insns[i].code);
		say(&d, "%5zu: %s\n", i, text);
		end = next < img->cnt && img->fentry[next] != UINT32_MAX ? img->fentry[next] :
									  img->addrs[next];
		dump_range(&d, cs, ci, img, img->addrs[i], end, !!(o.flags & USERBPF_DISASM_F_RAW));
	}
	if (!d.stop && img->code_len > img->addrs[img->cnt]) {
		say(&d, "\n; stub: end the run, returning 0\n");
		dump_range(&d, cs, ci, img, img->addrs[img->cnt], (uint32_t)img->code_len, 0);
	}
	cs_free(ci, 1);
	cs_close(&cs);
	return d.stop;
}
