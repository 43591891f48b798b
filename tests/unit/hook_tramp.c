/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hook_tramp.c: x86-64 function trampolines on functions of known shapes (written in assembly
 * below): entry, return and override programs with pt_regs and args contexts, refusals with
 * reasons, a libc function, recursion, stats, longjmp out of a hooked function, and
 * attach/detach 10,000 times while two threads call the function.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <userbpf/userbpf.h>

#include "test.h"

/* ---- functions with known shapes ---------------------------------------------------------- */
__asm__(".text\n"
	/* endbr64; mov rax, rdi; add rax, rsi; ret  (two instructions relocated after endbr64) */
	".globl t_add\n.type t_add,@function\n.p2align 4\nt_add:\n"
	"\tendbr64\n\tmov %rdi, %rax\n\tadd %rsi, %rax\n\tret\n.size t_add, .-t_add\n"
	/* mov rax, [rip+t_table]; add rax, rdi; ret  (RIP-relative load first) */
	".globl t_rip\n.type t_rip,@function\n.p2align 4\nt_rip:\n"
	"\tmov t_table(%rip), %rax\n\tadd %rdi, %rax\n\tret\n.size t_rip, .-t_rip\n"
	/* test rdi, rdi; je zero; mov rax, rdi; ret; zero: mov eax, 42; ret  (short jcc) */
	".globl t_jcc\n.type t_jcc,@function\n.p2align 4\nt_jcc:\n"
	"\ttest %rdi, %rdi\n\tje 1f\n\tmov %rdi, %rax\n\tret\n1:\tmov $42, %eax\n\tret\n"
	".size t_jcc, .-t_jcc\n"
	/* push rbp; mov rbp, rsp; mov rax, rdi; imul rax, rsi; pop rbp; ret  (frame prologue) */
	".globl t_frame\n.type t_frame,@function\n.p2align 4\nt_frame:\n"
	"\tpush %rbp\n\tmov %rsp, %rbp\n\tmov %rdi, %rax\n\timul %rsi, %rax\n\tpop %rbp\n\tret\n"
	".size t_frame, .-t_frame\n"
	/* lea rax, [rdi+rsi]; ret  (4 bytes then ret: too short) */
	".globl t_short\n.type t_short,@function\n.p2align 4\nt_short:\n"
	"\tlea (%rdi,%rsi), %rax\n\tret\n.size t_short, .-t_short\n"
	/* xor eax, eax; loop: inc rax; cmp rax, rdi; jb loop; ret  (jump back into patch) */
	".globl t_loop\n.type t_loop,@function\n.p2align 4\nt_loop:\n"
	"\txor %eax, %eax\n1:\tinc %rax\n\tcmp %rdi, %rax\n\tjb 1b\n\tret\n"
	".size t_loop, .-t_loop\n"
	/* jmp [rip+t_ptr]  (indirect jump in the prologue) */
	".globl t_ind\n.type t_ind,@function\n.p2align 4\nt_ind:\n"
	"\tjmp *t_ptr(%rip)\n\tnop\n\tnop\n.size t_ind, .-t_ind\n"
	/* movapd xmm2, xmm0; addsd xmm2, xmm1; movapd xmm0, xmm2; ret  (float arguments) */
	".globl t_fadd\n.type t_fadd,@function\n.p2align 4\nt_fadd:\n"
	"\tmovapd %xmm0, %xmm2\n\taddsd %xmm1, %xmm2\n\tmovapd %xmm2, %xmm0\n\tret\n"
	".size t_fadd, .-t_fadd\n"
	/*
	 * t_regs_kept(): calls t_add(1, 2) keeping values in caller-saved registers, as gcc's
	 * -fipa-ra does when it knows the callee leaves them alone; returns 0 if all survived.
	 */
	".globl t_regs_kept\n.type t_regs_kept,@function\n.p2align 4\nt_regs_kept:\n"
	"\tsub $8, %rsp\n"
	"\tmov $0x1001, %rcx\n\tmov $0x1002, %rdx\n\tmov $0x1008, %r8\n\tmov $0x1009, %r9\n"
	"\tmov $0x100a, %r10\n\tmov $0x100b, %r11\n"
	"\tmov $0x2003, %eax\n\tmovq %rax, %xmm3\n\tmov $0x2008, %eax\n\tmovq %rax, %xmm8\n"
	"\tmov $0x200f, %eax\n\tmovq %rax, %xmm15\n"
	"\tmov $1, %edi\n\tmov $2, %esi\n\tcall t_add\n"
	"\tcmp $3, %rax\n\tjne 1f\n\tcmp $1, %rdi\n\tjne 1f\n\tcmp $2, %rsi\n\tjne 1f\n"
	"\tcmp $0x1001, %rcx\n\tjne 1f\n\tcmp $0x1002, %rdx\n\tjne 1f\n"
	"\tcmp $0x1008, %r8\n\tjne 1f\n\tcmp $0x1009, %r9\n\tjne 1f\n"
	"\tcmp $0x100a, %r10\n\tjne 1f\n\tcmp $0x100b, %r11\n\tjne 1f\n"
	"\tmovq %xmm3, %rax\n\tcmp $0x2003, %rax\n\tjne 1f\n"
	"\tmovq %xmm8, %rax\n\tcmp $0x2008, %rax\n\tjne 1f\n"
	"\tmovq %xmm15, %rax\n\tcmp $0x200f, %rax\n\tjne 1f\n"
	"\txor %eax, %eax\n\tadd $8, %rsp\n\tret\n1:\tmov $1, %eax\n\tadd $8, %rsp\n\tret\n"
	".size t_regs_kept, .-t_regs_kept\n"
	".data\n.globl t_table\nt_table: .quad 1000\n.globl t_ptr\nt_ptr: .quad t_add\n.text\n");

uint64_t t_add(uint64_t a, uint64_t b);
uint64_t t_rip(uint64_t a);
uint64_t t_jcc(uint64_t a);
uint64_t t_frame(uint64_t a, uint64_t b);
uint64_t t_short(uint64_t a, uint64_t b);
uint64_t t_loop(uint64_t n);
uint64_t t_ind(uint64_t a, uint64_t b);
double t_fadd(double a, double b);
int t_regs_kept(void);

/* Eight arguments, two on the stack: the trampoline must not move them. */
__attribute__((noinline)) uint64_t t_eight(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
					   uint64_t e, uint64_t f, uint64_t g, uint64_t h);
__attribute__((noinline)) uint64_t t_eight(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
					   uint64_t e, uint64_t f, uint64_t g, uint64_t h)
{
	__asm__ volatile("" ::: "memory");
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

/* Call through a volatile pointer so the compiler cannot fold or inline the call. */
#define CALL(fn, ...) ((__typeof__(&fn))(*(void *volatile *)&(void *){ (void *)fn }))(__VA_ARGS__)

/* ---- host helpers the test programs call ------------------------------------------------- */
#define H_RECORD 900  /* record(slot, value): rec[slot] = value, hits[slot]++ */
#define H_NESTED 901  /* nested(): calls t_add(1, 2) from inside a program */
static uint64_t rec[16], hits[16];
static uint64_t nested_ret;

static uint64_t h_record(uint64_t slot, uint64_t v, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	if (slot < 16) {
		__atomic_store_n(&rec[slot], v, __ATOMIC_RELAXED);
		__atomic_fetch_add(&hits[slot], 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static uint64_t h_nested(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	nested_ret = CALL(t_add, 1, 2);
	return 0;
}

static char logbuf[8192];
static void on_log(void *user, int level, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)user, (void)level;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static struct userbpf_env *env;

static struct userbpf_prog *load(const char *text)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .flags = USERBPF_PROG_F_TRUSTED,
				       .prog_type = USERBPF_PROG_TYPE_KPROBE };
	struct userbpf_insn *insns;
	struct userbpf_prog *p;
	size_t cnt;

	if (userbpf_asm(env, text, USERBPF_SYNTAX_LLVM, &insns, &cnt)) {
		printf("asm failed: %s\n", logbuf);
		return NULL;
	}
	p = userbpf_prog_load(env, insns, cnt, &o);
	userbpf_insns_free(insns);
	if (!p)
		printf("load failed: %s\n", logbuf);
	return p;
}

static struct userbpf_link *attach(struct userbpf_prog *p, void *fn, int kind, int ctx, int nargs)
{
	struct userbpf_tramp_opts o = { .sz = sizeof(o), .kind = kind, .ctx = ctx,
					.nr_args = (uint32_t)nargs };

	logbuf[0] = 0;
	return userbpf_tramp_attach_addr(p, fn, &o);
}

static void reset(void)
{
	memset(rec, 0, sizeof(rec));
	memset(hits, 0, sizeof(hits));
}

/* record(0, PARM1); record(1, PARM2) from pt_regs (rdi at 112, rsi at 104). */
static const char *p_entry_regs =
	"r6 = r1\n r2 = *(u64 *)(r6 + 112)\n r1 = 0\n call 900\n"
	"r2 = *(u64 *)(r6 + 104)\n r1 = 1\n call 900\n r0 = 0\n exit\n";
/* record(2, PT_REGS_RC) (rax at 80). */
static const char *p_ret_regs = "r2 = *(u64 *)(r1 + 80)\n r1 = 2\n call 900\n r0 = 0\n exit\n";
/* fexit with 2 args: record(3, args[0]); record(4, args[2] = ret). */
static const char *p_ret_args =
	"r6 = r1\n r2 = *(u64 *)(r6 + 0)\n r1 = 3\n call 900\n"
	"r2 = *(u64 *)(r6 + 16)\n r1 = 4\n call 900\n r0 = 0\n exit\n";
/* fmod_ret on pt_regs: return rdi * 10 (0 when rdi is 0: the function then runs). */
static const char *p_ovr = "r0 = *(u64 *)(r1 + 112)\n r0 *= 10\n exit\n";
/* count: record(5, 1) */
static const char *p_count = "r2 = 1\n r1 = 5\n call 900\n r0 = 0\n exit\n";

static void test_shapes(void)
{
	struct userbpf_prog *pe = load(p_entry_regs), *pr = load(p_ret_regs);
	struct userbpf_link *le, *lr;
	uint64_t v;

	if (!CHECK(pe && pr, "programs load"))
		return;

	/* t_add: endbr64 kept, two instructions relocated. */
	reset();
	le = attach(pe, (void *)t_add, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	lr = attach(pr, (void *)t_add, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(le && lr, "attach t_add: %s", logbuf);
	v = CALL(t_add, 30, 12);
	CHECK_EQ_U64(v, 42, "t_add result with hooks");
	CHECK_EQ_U64(rec[0], 30, "t_add entry PARM1");
	CHECK_EQ_U64(rec[1], 12, "t_add entry PARM2");
	CHECK_EQ_U64(rec[2], 42, "t_add return RC");
	CHECK_EQ_U64(hits[0], 1, "t_add entry ran once");
	CHECK_EQ_U64(hits[2], 1, "t_add return ran once");
	CHECK(((const uint8_t *)t_add)[0] == 0xf3, "endbr64 left in place");
	CHECK(((const uint8_t *)t_add)[4] == 0xe9, "jmp written after endbr64");
	CHECK(t_regs_kept() == 0, "caller-saved registers (-fipa-ra callers) survive the hooks");
	CHECK_EQ_U64(hits[2], 2, "t_add return ran for the direct call too");
	userbpf_link_free(le);
	userbpf_link_free(lr);
	CHECK(((const uint8_t *)t_add)[4] == 0x48, "original bytes back after detach");
	CHECK(t_regs_kept() == 0, "and without hooks");
	reset();
	CHECK_EQ_U64(CALL(t_add, 1, 2), 3, "t_add after detach");
	CHECK_EQ_U64(hits[0] + hits[2], 0, "no program runs after detach");

	/* t_rip: RIP-relative load relocated. */
	reset();
	le = attach(pe, (void *)t_rip, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	lr = attach(pr, (void *)t_rip, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(le && lr, "attach t_rip: %s", logbuf);
	CHECK_EQ_U64(CALL(t_rip, 5), 1005, "t_rip reads its table through the relocated load");
	CHECK_EQ_U64(rec[0], 5, "t_rip PARM1");
	CHECK_EQ_U64(rec[2], 1005, "t_rip RC");
	userbpf_link_free(le);
	userbpf_link_free(lr);

	/* t_jcc: short je relocated as a rel32 jcc, both directions. */
	reset();
	le = attach(pe, (void *)t_jcc, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	lr = attach(pr, (void *)t_jcc, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(le && lr, "attach t_jcc: %s", logbuf);
	CHECK_EQ_U64(CALL(t_jcc, 0), 42, "t_jcc taken branch");
	CHECK_EQ_U64(rec[2], 42, "t_jcc RC (taken)");
	CHECK_EQ_U64(CALL(t_jcc, 7), 7, "t_jcc fall-through");
	CHECK_EQ_U64(rec[2], 7, "t_jcc RC (fall-through)");
	CHECK_EQ_U64(hits[0], 2, "t_jcc entry ran twice");
	userbpf_link_free(le);
	userbpf_link_free(lr);

	/* t_frame: push rbp / mov rbp, rsp relocated. */
	reset();
	le = attach(pe, (void *)t_frame, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(le != NULL, "attach t_frame: %s", logbuf);
	CHECK_EQ_U64(CALL(t_frame, 6, 7), 42, "t_frame result");
	CHECK_EQ_U64(rec[1], 7, "t_frame PARM2");
	userbpf_link_free(le);

	/* t_fadd: float arguments and return survive the trampoline. */
	reset();
	le = attach(pe, (void *)t_fadd, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	lr = attach(pr, (void *)t_fadd, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(le && lr, "attach t_fadd: %s", logbuf);
	CHECK(CALL(t_fadd, 1.5, 2.25) == 3.75, "t_fadd: xmm arguments and result preserved");
	CHECK_EQ_U64(hits[2], 1, "t_fadd return ran");
	userbpf_link_free(le);
	userbpf_link_free(lr);

	/* t_eight: stack arguments stay where the callee expects them. */
	reset();
	le = attach(pe, (void *)t_eight, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	lr = attach(pr, (void *)t_eight, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_REGS, 0);
	if (CHECK(le && lr, "attach t_eight: %s", logbuf)) {
		v = CALL(t_eight, 1, 1, 1, 1, 1, 1, 1, 1);
		CHECK_EQ_U64(v, 36, "t_eight with stack arguments");
		CHECK_EQ_U64(rec[2], 36, "t_eight RC");
	}
	userbpf_link_free(le);
	userbpf_link_free(lr);
}

static void test_refusals(void)
{
	struct userbpf_prog *pe = load(p_count);
	struct userbpf_link *l;
	uint8_t before[8];

	if (!CHECK(pe != NULL, "program loads"))
		return;
	memcpy(before, (void *)t_short, sizeof(before));
	l = attach(pe, (void *)t_short, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(!l && errno == ENOTSUP, "t_short refused (errno %d)", errno);
	CHECK(strstr(logbuf, "too short") != NULL, "reason names the size: %s", logbuf);
	CHECK(!memcmp(before, (void *)t_short, sizeof(before)), "t_short untouched");
	CHECK_EQ_U64(CALL(t_short, 2, 3), 5, "t_short still works");

	l = attach(pe, (void *)t_loop, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(!l && errno == ENOTSUP, "t_loop refused (errno %d)", errno);
	CHECK(strstr(logbuf, "jumps into") != NULL, "reason names the branch: %s", logbuf);

	l = attach(pe, (void *)t_ind, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(!l && errno == ENOTSUP, "t_ind refused (errno %d)", errno);
	CHECK(strstr(logbuf, "indirect") != NULL, "reason names the indirect jump: %s", logbuf);

	l = attach(pe, (void *)userbpf_hook_point_run, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS,
		   0);
	CHECK(!l && errno == EINVAL, "the hook machinery refuses to hook itself (errno %d)", errno);

	logbuf[0] = 0;
	l = userbpf_tramp_attach(pe, "no_such_function_anywhere", NULL);
	CHECK(!l && errno == ENOENT, "unknown symbol: ENOENT (errno %d)", errno);
	CHECK(strstr(logbuf, "no_such_function_anywhere") != NULL, "message names it: %s", logbuf);

	{
		struct userbpf_tramp_opts o = { .sz = sizeof(o), .ctx = USERBPF_TRAMP_CTX_ARGS,
						.nr_args = 7 };

		l = userbpf_tramp_attach_addr(pe, (void *)t_add, &o);
		CHECK(!l && errno == EINVAL, "nr_args 7 refused (errno %d)", errno);
	}
}

static void test_override_and_args(void)
{
	struct userbpf_prog *po = load(p_ovr), *pa = load(p_ret_args);
	struct userbpf_link *lo, *la;

	if (!CHECK(po && pa, "programs load"))
		return;
	reset();
	lo = attach(po, (void *)t_add, USERBPF_TRAMP_OVERRIDE, USERBPF_TRAMP_CTX_REGS, 0);
	la = attach(pa, (void *)t_add, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_ARGS, 2);
	CHECK(lo && la, "attach override + fexit: %s", logbuf);
	CHECK_EQ_U64(CALL(t_add, 4, 5), 40, "override: t_add(4, 5) returns 4 * 10");
	CHECK_EQ_U64(rec[3], 4, "fexit args[0]");
	CHECK_EQ_U64(rec[4], 40, "fexit sees the overridden value");
	CHECK_EQ_U64(CALL(t_add, 0, 5), 5, "override returning 0 lets the function run");
	CHECK_EQ_U64(rec[4], 5, "fexit sees the real value");
	userbpf_link_free(lo);
	{
		/* bpf_get_func_ip() sees the hooked function (record(7, ip)). */
		struct userbpf_prog *pip = load("call 173\n r2 = r0\n r1 = 7\n call 900\n r0 = 0\n"
						"exit\n");
		struct userbpf_link *lip = pip ? attach(pip, (void *)t_add, USERBPF_TRAMP_ENTRY,
							USERBPF_TRAMP_CTX_REGS, 0) : NULL;

		CHECK(lip != NULL, "attach get_func_ip program: %s", logbuf);
		CALL(t_add, 1, 1);
		CHECK_EQ_U64(rec[7], (uint64_t)(uintptr_t)t_add, "bpf_get_func_ip = the function");
		userbpf_link_free(lip);
	}
	CHECK_EQ_U64(CALL(t_add, 4, 5), 9, "override gone");
	CHECK_EQ_U64(rec[4], 9, "fexit still attached");
	userbpf_link_free(la);
}

static void test_libc(void)
{
	struct userbpf_prog *pe = load(p_entry_regs), *pr = load(p_ret_regs);
	struct userbpf_tramp_opts o = { .sz = sizeof(o), .object = "libc.so.6" };
	struct userbpf_link *le, *lr;
	long (*volatile fn)(long) = labs;

	if (!CHECK(pe && pr, "programs load"))
		return;
	reset();
	logbuf[0] = 0;
	le = userbpf_tramp_attach(pe, "labs", &o);
	o.kind = USERBPF_TRAMP_RETURN;
	lr = userbpf_tramp_attach(pr, "labs", &o);
	if (!le && errno == ENOTSUP) {
		SKIP("labs in this libc cannot be patched: %s", logbuf);
		return;
	}
	CHECK(le && lr, "attach libc labs: %s", logbuf);
	CHECK_EQ_U64(fn(-17), 17, "labs(-17) with hooks");
	CHECK_EQ_U64(rec[0], (uint64_t)-17, "labs PARM1");
	CHECK_EQ_U64(rec[2], 17, "labs RC");
	userbpf_link_free(le);
	userbpf_link_free(lr);
	CHECK_EQ_U64(fn(-3), 3, "labs after detach");
}

static void test_recursion_and_stats(void)
{
	struct userbpf_prog *pn = load("call 901\n r0 = 0\n exit\n");
	struct userbpf_prog_stats st;
	struct userbpf_link *l;

	if (!CHECK(pn != NULL, "program loads"))
		return;
	userbpf_env_enable_stats(env, 1);
	l = attach(pn, (void *)t_add, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(l != NULL, "attach: %s", logbuf);
	nested_ret = 0;
	CHECK_EQ_U64(CALL(t_add, 10, 20), 30, "outer call");
	CHECK_EQ_U64(nested_ret, 3, "the program's nested call ran the original function");
	CHECK_EQ_U64(CALL(t_add, 10, 20), 30, "outer call again");
	userbpf_prog_stats(pn, &st);
	CHECK_EQ_U64(st.run_cnt, 2, "run_cnt counts the two outer runs");
	CHECK_EQ_U64(st.recursion_misses, 2, "each nested call is one recursion miss");
	CHECK(st.run_time_ns > 0, "run_time_ns measured");
	userbpf_env_enable_stats(env, 0);
	CALL(t_add, 1, 1);
	userbpf_prog_stats(pn, &st);
	CHECK_EQ_U64(st.run_cnt, 2, "stats off: run_cnt frozen");
	userbpf_link_free(l);
}

/* longjmp out of a function whose return is hooked: the stale return is dropped later. */
static jmp_buf jb;
__attribute__((noinline)) uint64_t t_jumper(uint64_t a);
__attribute__((noinline)) uint64_t t_jumper(uint64_t a)
{
	__asm__ volatile("" ::: "memory");
	if (a == 13)
		longjmp(jb, 1);
	return a + 1;
}

static void test_longjmp(void)
{
	struct userbpf_prog *pr = load(p_ret_regs);
	struct userbpf_link *l;

	if (!CHECK(pr != NULL, "program loads"))
		return;
	reset();
	l = attach(pr, (void *)t_jumper, USERBPF_TRAMP_RETURN, USERBPF_TRAMP_CTX_REGS, 0);
	if (!CHECK(l != NULL, "attach t_jumper: %s", logbuf))
		return;
	for (int i = 0; i < 100; i++) {
		if (!setjmp(jb))
			CALL(t_jumper, 13);
	}
	CHECK_EQ_U64(CALL(t_jumper, 1), 2, "returns normally after 100 longjmps");
	CHECK_EQ_U64(hits[2], 1, "only the normal return ran the program");
	userbpf_link_free(l);
}

/* Code that changed at a hooked address since its last detach is refused, not re-patched. */
static void test_changed_code(void)
{
	/* mov rax, rdi; add rax, rsi; ret / the same with sub */
	static const uint8_t add[] = { 0x48, 0x89, 0xf8, 0x48, 0x01, 0xf0, 0xc3 };
	static const uint8_t sub[] = { 0x48, 0x89, 0xf8, 0x48, 0x29, 0xf0, 0xc3 };
	struct userbpf_prog *p = load(p_count);
	struct userbpf_link *l;
	uint8_t *page;
	uint64_t (*fn)(uint64_t, uint64_t);

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(p && page != MAP_FAILED, "setup"))
		return;
	memset(page, 0xcc, 4096);
	memcpy(page, add, sizeof(add));
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
	fn = (uint64_t(*)(uint64_t, uint64_t))(uintptr_t)page;
	reset();
	l = attach(p, page, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(l != NULL, "attach by address to anonymous code: %s", logbuf);
	CHECK_EQ_U64(fn(7, 2), 9, "runs hooked");
	CHECK_EQ_U64(hits[5], 1, "program ran");
	userbpf_link_free(l);
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	memcpy(page, sub, sizeof(sub));
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
	l = attach(p, page, USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_CTX_REGS, 0);
	CHECK(!l && errno == EBUSY, "changed code refused (errno %d)", errno);
	CHECK(strstr(logbuf, "changed") != NULL, "reason: %s", logbuf);
	CHECK_EQ_U64(fn(7, 2), 5, "new code untouched");
	munmap(page, 4096);
}

/* A forked child runs the hooks it inherited and can detach them (nothing waits forever). */
static void test_fork(void)
{
	struct userbpf_prog *p = load(p_ovr);
	struct userbpf_link *l;
	pid_t pid;
	int st;

	if (!CHECK(p != NULL, "program loads"))
		return;
	l = attach(p, (void *)t_add, USERBPF_TRAMP_OVERRIDE, USERBPF_TRAMP_CTX_REGS, 0);
	if (!CHECK(l != NULL, "attach: %s", logbuf))
		return;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		int ok;

		alarm(20);
		ok = CALL(t_add, 4, 5) == 40;
		userbpf_link_free(l);
		ok = ok && CALL(t_add, 4, 5) == 9;
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	      "child: inherited override runs, detach returns, original runs (status 0x%x)", st);
	CHECK_EQ_U64(CALL(t_add, 4, 5), 40, "parent still hooked");
	userbpf_link_free(l);
	CHECK_EQ_U64(CALL(t_add, 4, 5), 9, "parent detached");
}

/* ---- attach/detach under load ------------------------------------------------------------- */
#define MARK 0x5eed0000u
static volatile int stop;
struct caller {
	uint64_t calls, marked, bad;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		uint64_t a = (c->calls & 0xffff) + 1, v = CALL(t_frame, a, 3);

		if (v == MARK + a)
			c->marked++;
		else if (v != a * 3)
			c->bad++;
		c->calls++;
	}
	return NULL;
}

static void test_stress(void)
{
	/* Override: t_frame(a, 3) returns MARK + a, and record(6) counts the runs. */
	struct userbpf_prog *p = load("r6 = *(u64 *)(r1 + 112)\n r2 = 1\n r1 = 6\n call 900\n"
				      "r0 = r6\n r0 += 0x5eed0000\n exit\n");
	struct caller c[2] = { 0 };
	pthread_t th[2];
	int fails = 0, n = 10000;

	if (!CHECK(p != NULL, "program loads"))
		return;
	reset();
	stop = 0;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, caller_main, &c[i]);
	while (!__atomic_load_n(&c[0].calls, __ATOMIC_RELAXED) ||
	       !__atomic_load_n(&c[1].calls, __ATOMIC_RELAXED))
		sched_yield();
	for (int i = 0; i < n; i++) {
		struct userbpf_link *l = attach(p, (void *)t_frame, USERBPF_TRAMP_OVERRIDE,
						USERBPF_TRAMP_CTX_REGS, 0);

		if (!l) {
			if (!fails++)
				printf("attach %d failed: %s", i, logbuf);
			continue;
		}
		for (volatile int k = 0; k < 200; k++)
			;
		userbpf_link_free(l);
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(fails == 0, "%d of %d attaches failed", fails, n);
	CHECK_EQ_U64(c[0].bad + c[1].bad, 0, "no call returned a wrong value");
	CHECK_EQ_U64(hits[6], c[0].marked + c[1].marked,
		     "program runs == calls that saw the override (no lost or extra runs)");
	CHECK(c[0].calls > 0 && c[1].calls > 0, "both threads called (%llu, %llu calls, %llu "
	      "overridden)", (unsigned long long)c[0].calls, (unsigned long long)c[1].calls,
	      (unsigned long long)(c[0].marked + c[1].marked));
	CHECK_EQ_U64(CALL(t_frame, 5, 3), 15, "t_frame intact afterwards");
	printf("NOTE stress: %d attach/detach cycles, %llu calls, %llu overridden\n", n,
	       (unsigned long long)(c[0].calls + c[1].calls),
	       (unsigned long long)(c[0].marked + c[1].marked));
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = on_log,
				       .log_level = USERBPF_LOG_DEBUG };

	env = userbpf_env_new(&eo);
	if (!CHECK(env != NULL, "env"))
		return ub_test_done("hook_tramp");
	userbpf_env_add_helper(env, H_RECORD, "record", h_record);
	userbpf_env_add_helper(env, H_NESTED, "nested", h_nested);
	test_shapes();
	test_refusals();
	test_override_and_args();
	test_libc();
	test_recursion_and_stats();
	test_longjmp();
	test_fork();
	test_changed_code();
	test_stress();
	userbpf_env_free(env);
	return ub_test_done("hook_tramp");
}
