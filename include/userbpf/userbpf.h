/* SPDX-License-Identifier: Apache-2.0 */
/*
 * userbpf.h: the public API of libuserbpf, the eBPF runtime for user space.
 *
 * Conventions (all functions):
 *  - an int return is 0 (or a count) on success and a negative errno on failure;
 *  - a constructor returns a pointer, or NULL with errno set;
 *  - every object has one destructor, NULL-safe; children die with their parent;
 *  - diagnostics go to the log sink of the environment (struct userbpf_env), never to stderr;
 *  - options structs start with `size_t sz` (set it to sizeof the struct) so they can grow.
 */
#ifndef USERBPF_USERBPF_H
#define USERBPF_USERBPF_H

#include <stddef.h>
#include <stdint.h>

#include "userbpf/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef USERBPF_API
#define USERBPF_API __attribute__((visibility("default")))
#endif

#define USERBPF_VERSION_MAJOR 0
#define USERBPF_VERSION_MINOR 1
#define USERBPF_VERSION_PATCH 0

/* "0.1.0": the version of the library actually linked. */
USERBPF_API const char *userbpf_version(void);

/* ==== Environment: log sink, allocator, registered helpers ================================== */

enum userbpf_log_level {
	USERBPF_LOG_ERROR = 0,
	USERBPF_LOG_WARN = 1,
	USERBPF_LOG_INFO = 2,
	USERBPF_LOG_DEBUG = 3,
};

/* Receives one message at a time, without trailing newline. `user` is the opts' log_user. */
typedef void (*userbpf_log_fn)(void *user, int level, const char *msg);

/* A caller-supplied allocator; all three functions are required when one is given. */
struct userbpf_allocator {
	void *(*alloc)(void *user, size_t size);
	void *(*realloc)(void *user, void *ptr, size_t size);
	void (*free)(void *user, void *ptr);
	void *user;
};

struct userbpf_env_opts {
	size_t sz;
	userbpf_log_fn log_fn;   /* NULL: diagnostics are dropped */
	void *log_user;
	int log_level;           /* highest level delivered; 0 means USERBPF_LOG_INFO */
	const struct userbpf_allocator *alloc; /* NULL: malloc/realloc/free */
};

struct userbpf_env;

/*
 * Create an environment: the root object that owns programs and holds the log sink.
 * opts may be NULL. Returns NULL with errno ENOMEM or EINVAL.
 */
USERBPF_API struct userbpf_env *userbpf_env_new(const struct userbpf_env_opts *opts);
/* Free an environment and every object it still owns. NULL-safe. */
USERBPF_API void userbpf_env_free(struct userbpf_env *env);

/*
 * A helper function, called by `call ID` with the program's r1..r5; its return value lands in r0.
 */
typedef uint64_t (*userbpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				      uint64_t r5);

/*
 * Register (or replace) helper `id` for programs loaded afterwards in this environment.
 * name is copied. Returns 0, -EINVAL (id >= USERBPF_MAX_HELPER_ID, fn NULL), -ENOMEM.
 */
#define USERBPF_MAX_HELPER_ID 1024
USERBPF_API int userbpf_env_add_helper(struct userbpf_env *env, uint32_t id, const char *name,
				       userbpf_helper_fn fn);

/* ==== Instructions: validation, assembly, disassembly ======================================= */

/*
 * Check the encoding of every instruction (known opcode, registers, reserved fields, lddw pairs,
 * jump targets, no write to r10, no fall-through off the end). Diagnostics name the instruction
 * index and the reason. env may be NULL (no diagnostics).
 * Returns 0, -EINVAL (malformed), -E2BIG (more than 1M instructions).
 */
USERBPF_API int userbpf_insns_validate(struct userbpf_env *env, const struct userbpf_insn *insns,
				       size_t cnt);

enum userbpf_syntax {
	USERBPF_SYNTAX_LLVM = 0,        /* kernel/LLVM pseudo-C: r0 = *(u32 *)(r1 + 4) */
	USERBPF_SYNTAX_CONFORMANCE = 1, /* bpf_conformance: ldxw %r0, [%r1+4] */
};

/*
 * Assemble `text` (NUL-terminated) in the given syntax. On success *insns is a new array of
 * *cnt instructions, to be freed with userbpf_insns_free(). Errors name the line and the token.
 * Both syntaxes take labels ("name:"), comments ('#' at a word start, ';', "//"), jump targets
 * as +N, -N or a label, decimal/hex/negative immediates, an optional "12:" index prefix, and
 * ".insn 0x<16 hex digits>" for any raw slot (little-endian); pseudo-C also accepts the Linux
 * verifier log forms ("(61) r2 = *(u32 *)(r1 +0)", "goto pc+3", "call name#1"). The text of
 * userbpf_disasm() with USERBPF_DISASM_F_NO_INDEX assembles back to the same bytes.
 * Returns 0, -EINVAL (syntax error, bad argument), -E2BIG (over 1M slots), -ENOMEM.
 */
USERBPF_API int userbpf_asm(struct userbpf_env *env, const char *text, enum userbpf_syntax syntax,
			    struct userbpf_insn **insns, size_t *cnt);
USERBPF_API void userbpf_insns_free(struct userbpf_insn *insns);

/* Receives disassembly text in pieces; return non-zero to stop. */
typedef int (*userbpf_write_fn)(void *user, const char *text, size_t len);

#define USERBPF_DISASM_F_NO_INDEX 0x1 /* no "  12: " prefix */
#define USERBPF_DISASM_F_RAW      0x2 /* also print the instruction bytes */
#define USERBPF_DISASM_F_LABELS   0x4 /* print jump targets as labels instead of +off */

struct userbpf_disasm_opts {
	size_t sz;
	enum userbpf_syntax syntax;
	uint32_t flags; /* USERBPF_DISASM_F_* */
};

/*
 * Disassemble a program, one instruction per line, through `out`. Unknown encodings are printed
 * as ".insn 0x..." rather than rejected. opts may be NULL (LLVM syntax, indexes).
 * Pseudo-C reads like `llvm-objdump -d` (decimal immediates, "goto +3"); map references print
 * as "r1 = map[id:N]" / "map[idx:N][0]+OFF", local calls as "call pc+N"; labels are "L<index>".
 * Returns 0, the non-zero value returned by `out`, -EINVAL (bad argument) or -ENOMEM (labels).
 */
USERBPF_API int userbpf_disasm(const struct userbpf_insn *insns, size_t cnt,
			       const struct userbpf_disasm_opts *opts, userbpf_write_fn out,
			       void *user);

/*
 * Format one instruction (insns[0], and insns[1] for lddw; `avail` says how many are readable)
 * into buf. Returns the length it would have had (like snprintf), or -EINVAL.
 */
USERBPF_API int userbpf_insn_format(const struct userbpf_insn *insns, size_t avail,
				    enum userbpf_syntax syntax, char *buf, size_t size);

/* ==== Programs ============================================================================== */

/* Program types: Linux's numbers (enum bpf_prog_type). */
enum userbpf_prog_type {
	USERBPF_PROG_TYPE_UNSPEC = 0,        /* raw memory program: r1 = memory, r2 = its length */
	USERBPF_PROG_TYPE_SOCKET_FILTER = 1,
	USERBPF_PROG_TYPE_KPROBE = 2,
	USERBPF_PROG_TYPE_SCHED_CLS = 3,
	USERBPF_PROG_TYPE_SCHED_ACT = 4,
	USERBPF_PROG_TYPE_TRACEPOINT = 5,
	USERBPF_PROG_TYPE_XDP = 6,
	USERBPF_PROG_TYPE_PERF_EVENT = 7,
	USERBPF_PROG_TYPE_RAW_TRACEPOINT = 17,
	USERBPF_PROG_TYPE_TRACING = 26,
	USERBPF_PROG_TYPE_STRUCT_OPS = 27,
	USERBPF_PROG_TYPE_EXT = 28,
	USERBPF_PROG_TYPE_LSM = 29,
	USERBPF_PROG_TYPE_SYSCALL = 31,
};

/*
 * The program type called `name`: Linux's name of a type userbpf runs ("xdp", "socket_filter",
 * "sched_cls", "kprobe", "syscall", "unspec", ...) or an alias ("socket", "tc", "raw").
 * Returns 0 and sets *type, or -ENOENT for an unknown or unsupported type.
 */
USERBPF_API int userbpf_prog_type_by_name(const char *name, uint32_t *type);
/* Linux's name of a program type userbpf runs, or NULL. */
USERBPF_API const char *userbpf_prog_type_name(uint32_t type);

enum userbpf_engine {
	USERBPF_ENGINE_DEFAULT = 0, /* the JIT where available, else the interpreter */
	USERBPF_ENGINE_INTERP = 1,
	USERBPF_ENGINE_JIT = 2,
};

/*
 * Skip the verifier. The interpreter then checks every memory access against the regions the
 * program was given (its stack, the run's memory) and stops after insn_budget instructions; an
 * out-of-bounds access or an exhausted budget ends the run with an error, never a crash.
 */
#define USERBPF_PROG_F_UNVERIFIED 0x1
/*
 * The caller vouches for the code, as root does in Linux: implies UNVERIFIED and also lets the
 * JIT run it (native code has no run-time checks).
 */
#define USERBPF_PROG_F_TRUSTED 0x2
/*
 * JIT constant blinding, like Linux's bpf_jit_harden: every immediate operand is emitted as
 * (imm ^ r) ^ r with a fresh random r (from getrandom), so no attacker-chosen constant appears
 * in executable memory. Off by default; costs about two instructions per immediate.
 */
#define USERBPF_PROG_F_JIT_BLIND 0x4

struct userbpf_map; /* a map object (maps API) */

/* The C source of one instruction, from .BTF.ext line info (the loader fills these). */
struct userbpf_line_info {
	uint32_t insn;     /* instruction index the line starts at */
	uint32_t line;
	uint32_t col;
	const char *file;  /* source file name */
	const char *text;  /* the source line itself, or NULL */
};

/* The name of the function that starts at an instruction (BTF func_info, or symbols). */
struct userbpf_func_info {
	uint32_t insn;
	const char *name;
};

/* Verifier modes (userbpf_prog_opts.verify_flags). */
/*
 * Unprivileged: like Linux with CAP_BPF (+ CAP_NET_ADMIN for network types) but without
 * CAP_PERFMON/CAP_SYS_ADMIN: no pointer leaks, no uninitialised stack reads, no perfmon helpers.
 */
#define USERBPF_VERIFY_F_UNPRIV 0x1
/*
 * Tests and fuzzers: keep, per instruction, the join of the abstract scalar values the verifier
 * saw in each register, so that a run can check its concrete registers against them
 * (ub_verifier_check_concrete(), internal). Costs memory proportional to the program.
 */
#define USERBPF_VERIFY_F_RECORD 0x2

/* What the verifier concluded and what it cost (userbpf_prog_opts.verify_stats, optional). */
struct userbpf_verify_stats {
	size_t sz;
	int verdict;              /* 0 accepted, else the negative errno of the load */
	int64_t error_insn;       /* instruction of the rejection, or -1 */
	char error[256];          /* the rejection sentence (Linux's wording where Linux has one) */
	char source[256];         /* "file.c:42" of error_insn when line info exists, else "" */
	uint64_t processed_insns; /* instructions processed (Linux's "processed N insns") */
	uint64_t total_states;
	uint64_t peak_states;
	uint64_t time_ns;
};

struct userbpf_prog_opts {
	size_t sz;
	const char *name;       /* copied; NULL: "prog" */
	uint32_t prog_type;     /* enum userbpf_prog_type */
	const char *license;    /* NULL: "GPL" */
	uint32_t flags;         /* USERBPF_PROG_F_* */
	enum userbpf_engine engine;
	uint64_t insn_budget;   /* unverified programs: instructions per run; 0: 1<<26 */
	/*
	 * Maps the program refers to: an lddw with src USERBPF_PSEUDO_MAP_IDX(_VALUE) and imm = i
	 * (or USERBPF_PSEUDO_MAP_FD(_VALUE) with imm = i) means maps[i]. The program takes a
	 * reference on each map; the caller keeps its own.
	 */
	struct userbpf_map *const *maps;
	size_t map_cnt;
	/* Optional source information, copied: sorted by insn. */
	const struct userbpf_line_info *line_info;
	size_t line_info_cnt;
	const struct userbpf_func_info *func_info;
	size_t func_info_cnt;
	/* Verifier: mode, log (Linux levels 1 and 2, into the caller's buffer), results. */
	uint32_t verify_flags;    /* USERBPF_VERIFY_F_* */
	uint32_t log_level;       /* 0: none, 1: errors and summary, 2: every instruction and state */
	char *log_buf;            /* caller-owned; NUL-terminated, truncated to log_size */
	size_t log_size;
	struct userbpf_verify_stats *verify_stats; /* out */
};

struct userbpf_prog;

/*
 * Load a program: validate, verify (unless opts->flags says otherwise), prepare the engine.
 * insns are copied. The program belongs to env and is freed with it at the latest.
 * Returns NULL with errno: EINVAL (malformed), EACCES (rejected by the verifier), E2BIG,
 * ENOTSUP (engine unavailable, or verification requested but not available), ENOMEM.
 */
USERBPF_API struct userbpf_prog *userbpf_prog_load(struct userbpf_env *env,
						   const struct userbpf_insn *insns, size_t cnt,
						   const struct userbpf_prog_opts *opts);
USERBPF_API void userbpf_prog_free(struct userbpf_prog *prog);

/* The program's instructions as loaded (before any rewrite), and their count. */
USERBPF_API const struct userbpf_insn *userbpf_prog_insns(const struct userbpf_prog *prog,
							   size_t *cnt);
USERBPF_API const char *userbpf_prog_name(const struct userbpf_prog *prog);
/* The engine that runs the program: USERBPF_ENGINE_INTERP or USERBPF_ENGINE_JIT. */
USERBPF_API enum userbpf_engine userbpf_prog_engine(const struct userbpf_prog *prog);

/*
 * Run the program once with r1 = mem, r2 = mem_len (r1 = 0 when mem is NULL), r10 at the top
 * of a fresh 512-byte stack, other registers 0. The return value (r0) lands in *retval.
 * Thread-safe: any number of threads may run one program at once.
 * Returns 0, or for unverified programs: -EFAULT (memory access outside the given regions),
 * -ETIME (instruction budget exhausted), -EINVAL (unknown helper, bad call), -E2BIG (too many
 * frames); the reason, with the instruction index, goes to the log sink.
 * Verified programs also fail with -EINVAL when mem is NULL with mem_len > 0, or when mem_len
 * is shorter than their fixed-offset accesses to the memory need (syscall programs, as Linux's
 * test run checks ctx_size_in).
 */
USERBPF_API int userbpf_prog_run(struct userbpf_prog *prog, void *mem, size_t mem_len,
				 uint64_t *retval);

/* ==== JIT (src/jit) ========================================================================= */
/*
 * A JITed program (engine USERBPF_ENGINE_JIT) has no run-time checks, so an unverified program
 * (USERBPF_PROG_F_TRUSTED) that leaves the rules behaves as it would in the kernel: where Linux
 * would end the run (ld_abs/ld_ind outside the packet, more than 8 frames, callx with no such
 * helper), the JITed run returns 0 in *retval and userbpf_prog_run() returns 0.
 */

/*
 * Disassemble the machine code of a JITed program (x86-64, Intel syntax, with capstone) through
 * `out`: every eBPF instruction (in opts->syntax) followed by its machine instructions with
 * their offsets in the image, function prologues and the shared stub marked as such, and, when
 * the program carries line info (ELF objects), the C source line before the first instruction
 * of each line. opts may be NULL; USERBPF_DISASM_F_RAW adds the machine code bytes.
 * Returns 0, the non-zero value returned by `out`, -EINVAL (prog or out NULL), -ENOENT (the
 * program is not JITed), -ENOTSUP (no disassembler for this architecture), -ENOMEM.
 */
USERBPF_API int userbpf_prog_disasm_jited(const struct userbpf_prog *prog,
					  const struct userbpf_disasm_opts *opts,
					  userbpf_write_fn out, void *user);

/* ==== Objects: BPF ELF files compiled by clang (src/loader) ================================= */
/*
 * An object is a relocatable BPF ELF file (`clang -O2 -g -target bpf -c prog.bpf.c`) opened the
 * way libbpf opens it: programs from SEC() sections with their subprograms appended, maps from
 * `.maps` (BTF-defined) and `maps` (legacy), global data (.data, .rodata*, .bss) as one-element
 * array maps, line and function info from .BTF.ext, and CO-RE relocations applied against a
 * target BTF. Opening does all of that; userbpf_object_load() then creates the maps and loads
 * every program into a struct userbpf_prog.
 *
 * Lifetime: the object belongs to the caller and must be freed (userbpf_object_free) before its
 * env. Programs and map descriptors are children of the object and die with it; strings
 * returned by the accessors below live as long as the object.
 */
struct userbpf_object;
struct userbpf_object_prog; /* one program of an object (a SEC() function) */
struct userbpf_object_map;  /* one map descriptor of an object */

struct userbpf_object_opts {
	size_t sz;
	const char *name;         /* for messages; NULL: the path, or "memory" */
	/*
	 * CO-RE target: the BTF that describes the structures the programs will really see (a
	 * host application's, made with `pahole -J`, or raw BTF). NULL/0: the object's own BTF.
	 * btf_data (raw BTF, copied) wins over btf_path (an ELF file with a .BTF section, or raw
	 * BTF).
	 */
	const char *btf_path;
	const void *btf_data;
	size_t btf_size;
};

/*
 * Open an object from a file, or from memory (copied). Everything is parsed and checked here:
 * malformed ELF, BTF or .BTF.ext, bad relocations or CO-RE relocations that cannot apply make
 * the open fail, with a message naming the file, section and offset on the env's log sink.
 * opts may be NULL. Returns NULL with errno: EINVAL (malformed), ENOENT/EACCES/... (file),
 * ENOTSUP (an unsupported feature such as extern kfuncs), ELOOP (looping BTF), ENOMEM.
 */
USERBPF_API struct userbpf_object *userbpf_object_open_file(struct userbpf_env *env,
							    const char *path,
							    const struct userbpf_object_opts *opts);
USERBPF_API struct userbpf_object *userbpf_object_open_mem(struct userbpf_env *env,
							   const void *data, size_t size,
							   const struct userbpf_object_opts *opts);
/* Free an object, its descriptors, and the programs and maps it loaded. NULL-safe. */
USERBPF_API void userbpf_object_free(struct userbpf_object *obj);
USERBPF_API const char *userbpf_object_name(const struct userbpf_object *obj);
/* The "license" section's string ("" when absent). */
USERBPF_API const char *userbpf_object_license(const struct userbpf_object *obj);

/* Programs, in section then offset order. _at returns NULL past the end. */
USERBPF_API size_t userbpf_object_prog_cnt(const struct userbpf_object *obj);
USERBPF_API struct userbpf_object_prog *userbpf_object_prog_at(const struct userbpf_object *obj,
							       size_t i);
/* The program whose function name is `name` (or, failing that, whose section is), or NULL. */
USERBPF_API struct userbpf_object_prog *userbpf_object_find_prog(const struct userbpf_object *obj,
								 const char *name);
USERBPF_API const char *userbpf_object_prog_name(const struct userbpf_object_prog *prog);
/* The ELF section: "xdp", "uprobe//usr/bin/app:func", ... */
USERBPF_API const char *userbpf_object_prog_section(const struct userbpf_object_prog *prog);
/* Program type from libbpf's SEC() conventions (enum userbpf_prog_type numbers). */
USERBPF_API uint32_t userbpf_object_prog_type(const struct userbpf_object_prog *prog);
/* Its name in Linux's spelling ("xdp", "sched_cls", "syscall"; "unspec" for type 0). */
USERBPF_API const char *userbpf_object_prog_type_name(const struct userbpf_object_prog *prog);
/*
 * How the program expects to be attached: the SEC() convention's kind ("xdp", "tc", "socket",
 * "syscall", "uprobe", "uretprobe", "usdt", "fentry", "fexit", "fmod_ret", "tracepoint",
 * "raw_tp", "struct_ops", "kprobe", ...; "" when the section follows no convention) and its
 * target: what follows "kind/" in the section name ("/usr/bin/app:func", "sched/sched_switch"),
 * or NULL when there is none.
 */
USERBPF_API const char *userbpf_object_prog_attach_kind(const struct userbpf_object_prog *prog);
USERBPF_API const char *userbpf_object_prog_attach_target(const struct userbpf_object_prog *prog);
/*
 * The program's instructions after linking: subprograms appended, calls and callbacks relative,
 * map references as USERBPF_PSEUDO_MAP_IDX(_VALUE) with imm = index into the object's maps,
 * CO-RE relocations applied. *cnt receives the count. Owned by the object.
 */
USERBPF_API const struct userbpf_insn *userbpf_object_prog_insns(
	const struct userbpf_object_prog *prog, size_t *cnt);
/* Line info (source line per instruction, from .BTF.ext) and function starts, sorted by insn. */
USERBPF_API const struct userbpf_line_info *userbpf_object_prog_line_info(
	const struct userbpf_object_prog *prog, size_t *cnt);
USERBPF_API const struct userbpf_func_info *userbpf_object_prog_func_info(
	const struct userbpf_object_prog *prog, size_t *cnt);
/* The loaded program after userbpf_object_load(), else NULL. Owned by the object. */
USERBPF_API struct userbpf_prog *userbpf_object_prog_loaded(const struct userbpf_object_prog *prog);

/*
 * Disassemble a program of an object like `bpftool prog dump xlated linum`: the C source line
 * (as "; text @ file:line") before the instructions it produced, "name:" at the start of every
 * function, and "; map NAME" (or "; map NAME + off") after map references, "; call NAME" after
 * subprogram calls and callbacks. opts as for userbpf_disasm (NULL: LLVM syntax with indexes),
 * except that USERBPF_DISASM_F_LABELS is ignored (jumps stay relative).
 * Returns 0, the non-zero value returned by `out`, or -EINVAL.
 */
USERBPF_API int userbpf_object_prog_disasm(const struct userbpf_object_prog *prog,
					   const struct userbpf_disasm_opts *opts,
					   userbpf_write_fn out, void *user);

/* Maps: BTF-defined and legacy maps in declaration order, then global data sections. */
USERBPF_API size_t userbpf_object_map_cnt(const struct userbpf_object *obj);
USERBPF_API struct userbpf_object_map *userbpf_object_map_at(const struct userbpf_object *obj,
							     size_t i);
/* The map named `name` (".rodata", ".data", ".bss", ... for global data), or NULL. */
USERBPF_API struct userbpf_object_map *userbpf_object_find_map(const struct userbpf_object *obj,
							       const char *name);

/* What a map of an object is to be (Linux numbers: enum bpf_map_type, BPF_F_* flags). */
struct userbpf_map_desc {
	size_t sz;
	const char *name;
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
	uint32_t btf_key_type_id;   /* in the object's BTF; 0 when unknown */
	uint32_t btf_value_type_id;
	const struct userbpf_object_map *inner; /* map-in-map: template of the inner maps */
	const char *section;        /* ".maps", "maps", ".rodata", ".data", ".bss", ... */
	const void *init_data;      /* global data: initial value (value_size bytes), else NULL */
};

/* Fill *desc (desc->sz must be set). Returns 0 or -EINVAL. */
USERBPF_API int userbpf_object_map_desc(const struct userbpf_object_map *map,
					struct userbpf_map_desc *desc);
/*
 * The initial value of a global data map (.data, .rodata, .bss, ...), writable until the object
 * is loaded: this is how the host sets `const volatile` configuration. *size receives its size.
 * NULL (errno EINVAL) for other maps, EBUSY after load.
 */
USERBPF_API void *userbpf_object_map_data(struct userbpf_object_map *map, size_t *size);
/*
 * Set a global variable (in .rodata, .data, .bss, ...) by name before load; size must equal the
 * variable's. Returns 0, -ENOENT (no such variable), -EINVAL (size), -EBUSY (already loaded).
 */
USERBPF_API int userbpf_object_set_var(struct userbpf_object *obj, const char *name,
				       const void *val, size_t size);
/* The map created by userbpf_object_load(), else NULL. Owned by the object. */
USERBPF_API struct userbpf_map *userbpf_object_map_loaded(const struct userbpf_object_map *map);

struct userbpf_object_load_opts {
	size_t sz;
	uint32_t flags;             /* USERBPF_PROG_F_*, for every program */
	enum userbpf_engine engine;
	uint64_t insn_budget;
	uint32_t verify_flags;      /* USERBPF_VERIFY_F_* */
};

/*
 * Create the object's maps (global data maps get their initial values) and load every program
 * with its maps, line info and function info. On failure nothing stays loaded and the message
 * names the program. opts may be NULL. Returns 0, -EBUSY (already loaded), -ENOTSUP (no map
 * implementation for a map type), or the errno of the failing map creation or program load.
 */
USERBPF_API int userbpf_object_load(struct userbpf_object *obj,
				    const struct userbpf_object_load_opts *opts);

/* ==== Hooks: host-declared hook points, function trampolines, links (src/hooks) ============= */
/*
 * A link is one program attached to one hook. Programs attached to the same hook run in attach
 * order. Freeing the link detaches the program and returns only when no thread still runs it
 * through that hook. Links must be freed before their program and their env.
 *
 * While a thread runs a program from any hook, hooks it reaches again (the program calling a
 * hooked function, directly or through a helper) do not run programs: each program that would
 * have run counts one recursion miss.
 */
struct userbpf_link;

/* Detach and free a link. NULL-safe. */
USERBPF_API void userbpf_link_free(struct userbpf_link *link);

/* Host-declared hook points: declared with USERBPF_HOOK_POINT() from <userbpf/hook.h>. */
struct userbpf_hook_point;

/*
 * Attach prog to a hook point; it will run with r1 = the hook's context, r2 = its size.
 * Returns the link, or NULL with errno EINVAL (NULL argument), ENOMEM.
 */
USERBPF_API struct userbpf_link *userbpf_hook_point_attach(struct userbpf_hook_point *hp,
							   struct userbpf_prog *prog);
/*
 * Run the programs attached to hp (the slow half of USERBPF_HOOK(): call that macro instead).
 * Returns the r0 of the last program that ran, or 0.
 */
USERBPF_API uint64_t userbpf_hook_point_run(struct userbpf_hook_point *hp, void *ctx);

/*
 * The x86-64 registers as a uprobe program sees them (Linux's user `struct pt_regs` layout, so
 * libbpf's PT_REGS_PARM1(ctx)... and PT_REGS_RC(ctx) read the right slots).
 */
struct userbpf_pt_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
};

enum userbpf_tramp_kind {
	USERBPF_TRAMP_ENTRY = 0,    /* uprobe / fentry: before the function runs */
	USERBPF_TRAMP_RETURN = 1,   /* uretprobe / fexit: after it returns, sees the return value */
	/*
	 * fmod_ret: before the function; a program returning non-zero makes the function return
	 * that value without running (the first non-zero one wins; return programs still run).
	 */
	USERBPF_TRAMP_OVERRIDE = 2,
};

enum userbpf_tramp_ctx {
	USERBPF_TRAMP_CTX_REGS = 0, /* r1 = struct userbpf_pt_regs * (uprobe programs) */
	/*
	 * r1 = uint64_t args[nr_args + 1] (fentry programs, libbpf's BPF_PROG()): the integer
	 * arguments, then (return and override programs) the return value so far.
	 */
	USERBPF_TRAMP_CTX_ARGS = 1,
};

struct userbpf_tramp_opts {
	size_t sz;
	enum userbpf_tramp_kind kind;
	enum userbpf_tramp_ctx ctx;
	uint32_t nr_args;           /* CTX_ARGS: 0..6 register arguments */
	/*
	 * Symbol lookup: only in the loaded object whose path ends with this ("libc.so.6",
	 * "/usr/bin/app"). NULL: the main executable, then every loaded object in load order.
	 */
	const char *object;
};

/*
 * Attach prog to a function of this process, found by symbol name (dynamic symbols via the
 * loader, then the ELF .symtab of each loaded object, so static functions of an unstripped
 * executable work). The first attach to a function patches its entry live with a jump to a
 * trampoline (see src/hooks/x86_64/tramp.c for the method); functions that cannot be patched
 * safely are refused with the reason on the env's log sink.
 * opts may be NULL (entry, pt_regs context). Returns the link, or NULL with errno: EINVAL,
 * ENOENT (no such symbol), ENOTSUP (function shape cannot be patched safely, or the machine
 * is not x86-64), EBUSY (threads could not be brought to a safe point, or the code at a
 * previously hooked address changed), ENOMEM.
 */
USERBPF_API struct userbpf_link *userbpf_tramp_attach(struct userbpf_prog *prog,
						      const char *symbol,
						      const struct userbpf_tramp_opts *opts);
/* The same, for the function that starts at addr (opts->object is ignored). */
USERBPF_API struct userbpf_link *userbpf_tramp_attach_addr(struct userbpf_prog *prog, void *addr,
							   const struct userbpf_tramp_opts *opts);

/* Per-program statistics, like Linux's bpf_stats. */
struct userbpf_prog_stats {
	uint64_t run_cnt;          /* runs from hooks while stats were enabled */
	uint64_t run_time_ns;      /* their total time */
	uint64_t recursion_misses; /* runs skipped because the thread was already in a program */
};

/* Read prog's statistics into *stats. Returns 0 or -EINVAL. */
USERBPF_API int userbpf_prog_stats(const struct userbpf_prog *prog,
				   struct userbpf_prog_stats *stats);
/*
 * Count runs and run time of the env's programs run from hooks (off by default: zero cost
 * when off, a clock read around each run when on). Returns 0 or -EINVAL.
 */
USERBPF_API int userbpf_env_enable_stats(struct userbpf_env *env, int enable);

/* ==== Maps (src/maps) ======================================================================= */
/*
 * Maps follow Linux's semantics: types, flags and errors are Linux's (BPF_MAP_TYPE_*, BPF_ANY,
 * BPF_F_*). A map belongs to its env (freed with it at the latest) and is reference-counted:
 * each program using it holds a reference; userbpf_map_free() drops the creator's.
 *
 * Concurrency: lookups (from programs and from this API) take no lock; updates from any number
 * of threads are safe and lose nothing. A hash-map element replaced or deleted while a program
 * still holds a pointer to it stays readable until that run ends (epoch-based reclamation).
 * Array and per-CPU values are updated in place, as in Linux (a reader may see a value half
 * rewritten by a concurrent whole-value update): use atomic instructions on shared counters.
 *
 * Per-CPU maps keep one slot per possible CPU; a program uses the slot of the CPU its thread
 * runs on (sched_getcpu(), read from the kernel's rseq area: no syscall). Two threads on one
 * CPU share a slot, so per-CPU counters should still be updated atomically when threads can be
 * preempted mid-update. The user view of a per-CPU value is userbpf_num_possible_cpus()
 * slots, each value_size rounded up to 8 bytes (as libbpf).
 */
enum userbpf_map_type {
	USERBPF_MAP_TYPE_HASH = 1,
	USERBPF_MAP_TYPE_ARRAY = 2,
	USERBPF_MAP_TYPE_PROG_ARRAY = 3,
	USERBPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	USERBPF_MAP_TYPE_PERCPU_HASH = 5,
	USERBPF_MAP_TYPE_PERCPU_ARRAY = 6,
	USERBPF_MAP_TYPE_LRU_HASH = 9,
	USERBPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	USERBPF_MAP_TYPE_LPM_TRIE = 11,
	USERBPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	USERBPF_MAP_TYPE_HASH_OF_MAPS = 13,
	USERBPF_MAP_TYPE_QUEUE = 22,
	USERBPF_MAP_TYPE_STACK = 23,
	USERBPF_MAP_TYPE_RINGBUF = 27,
	USERBPF_MAP_TYPE_BLOOM_FILTER = 30,
};

/* Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
#define USERBPF_ANY     0
#define USERBPF_NOEXIST 1
#define USERBPF_EXIST   2

/* Map flags (Linux's BPF_F_* values). */
#define USERBPF_F_NO_PREALLOC  (1u << 0)
#define USERBPF_F_NO_COMMON_LRU (1u << 1)
#define USERBPF_F_RDONLY       (1u << 3)
#define USERBPF_F_WRONLY       (1u << 4)
#define USERBPF_F_ZERO_SEED    (1u << 6)
#define USERBPF_F_RDONLY_PROG  (1u << 7)
#define USERBPF_F_WRONLY_PROG  (1u << 8)
#define USERBPF_F_MMAPABLE     (1u << 10)
#define USERBPF_F_INNER_MAP    (1u << 12)

struct userbpf_map_opts {
	size_t sz;
	uint32_t type;          /* enum userbpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;   /* ringbuf: data size in bytes, a power of 2 multiple of the page */
	uint32_t map_flags;     /* USERBPF_F_* */
	const char *name;       /* copied, truncated to 15 characters; NULL: "" */
	/* array_of_maps / hash_of_maps: a map whose type and sizes every inner map must match */
	struct userbpf_map *inner_map;
	uint64_t map_extra;     /* bloom_filter: number of hash functions (1..15, 0 = 5) */
	/*
	 * Put the map's data in shared memory (a memfd, see userbpf_map_shm_fd()) so that another
	 * process can read it (userbpf_map_open_shared()). Supported: array, percpu_array, ringbuf.
	 */
	int shared;
};

/*
 * Create a map. Returns NULL with errno: EINVAL (bad sizes, flags or type combination, the
 * reason in the log), E2BIG (too large), ENOTSUP (type not supported), ENOMEM.
 */
USERBPF_API struct userbpf_map *userbpf_map_create(struct userbpf_env *env,
						   const struct userbpf_map_opts *opts);
/* Drop the creator's reference; the map dies when no program holds it either. NULL-safe. */
USERBPF_API void userbpf_map_free(struct userbpf_map *map);

/*
 * Copy the value of `key` into value (user view). Queue/stack: key must be NULL (peek).
 * Returns 0, -ENOENT (no such key / empty), -EINVAL, -EPERM (BPF_F_WRONLY).
 */
USERBPF_API int userbpf_map_lookup(struct userbpf_map *map, const void *key, void *value);
/*
 * Insert or replace (flags USERBPF_ANY/NOEXIST/EXIST). Queue/stack: key NULL (push; flags
 * BPF_EXIST overwrites the oldest when full). Map-in-map values are inner map ids (uint32).
 * Returns 0, -EEXIST, -ENOENT, -E2BIG (full / index out of range), -EINVAL, -ENOMEM, -EPERM.
 */
USERBPF_API int userbpf_map_update(struct userbpf_map *map, const void *key, const void *value,
				   uint64_t flags);
/* Delete. Returns 0, -ENOENT, -EINVAL (arrays: elements always exist). */
USERBPF_API int userbpf_map_delete(struct userbpf_map *map, const void *key);
/* Queue/stack pop, or lookup then delete for hash maps. Returns 0, -ENOENT, -EINVAL. */
USERBPF_API int userbpf_map_lookup_and_delete(struct userbpf_map *map, const void *key,
					      void *value);
/*
 * The key after `key` (NULL, or a key not in the map: the first key). Returns 0, -ENOENT
 * (no more keys), -EINVAL.
 */
USERBPF_API int userbpf_map_get_next_key(struct userbpf_map *map, const void *key, void *next);

/* Called once per element by userbpf_map_dump(); return non-zero to stop. */
typedef int (*userbpf_map_dump_fn)(void *user, const void *key, const void *value);
/*
 * Call fn for every element (user view of values), in get_next_key order. Returns the number
 * of elements visited, or -errno.
 */
USERBPF_API long userbpf_map_dump(struct userbpf_map *map, userbpf_map_dump_fn fn, void *user);

USERBPF_API const char *userbpf_map_name(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map_type(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map_key_size(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map_value_size(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map_max_entries(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map_flags(const struct userbpf_map *map);
/* The map's id in its env (map-in-map values refer to inner maps by id). */
USERBPF_API uint32_t userbpf_map_id(const struct userbpf_map *map);
/* Size of a value as this API reads and writes it (per-CPU: every CPU's slot). */
USERBPF_API size_t userbpf_map_value_size_user(const struct userbpf_map *map);
/* Possible CPUs: the number of slots of a per-CPU value. */
USERBPF_API int userbpf_num_possible_cpus(void);
/* The map with this id in env, or NULL. No reference is taken. */
USERBPF_API struct userbpf_map *userbpf_map_by_id(struct userbpf_env *env, uint32_t id);
/* Name of a map type ("hash", "percpu_array"...), or NULL. */
USERBPF_API const char *userbpf_map_type_name(uint32_t type);

/*
 * Put prog at `index` of a prog_array (NULL clears the slot); tail calls go there. The slot is
 * cleared automatically when prog is freed. Returns 0, -E2BIG (index), -EINVAL.
 */
USERBPF_API int userbpf_prog_array_set(struct userbpf_map *map, uint32_t index,
				       struct userbpf_prog *prog);

/* The memfd of a map created with opts.shared, or -EINVAL. Stays owned by the map. */
USERBPF_API int userbpf_map_shm_fd(const struct userbpf_map *map);
/*
 * Open, in this process, a shared map another process created: fd is a dup of its memfd
 * (passed over a unix socket, or /proc/PID/fd/N opened read-write). The result reads and
 * writes the same memory. Returns NULL with errno EINVAL (not a userbpf map), ENOMEM.
 */
USERBPF_API struct userbpf_map *userbpf_map_open_shared(struct userbpf_env *env, int fd);

/* One record handed to a ringbuf consumer; return < 0 to stop consuming (that value is kept). */
typedef int (*userbpf_ringbuf_fn)(void *user, void *data, size_t size);
/*
 * Consume every committed record of a ringbuf map (in this or another process), skipping
 * discarded ones. Returns the number consumed, or the callback's negative value, or -EINVAL.
 * One consumer at a time per ring.
 */
USERBPF_API int userbpf_ringbuf_consume(struct userbpf_map *map, userbpf_ringbuf_fn fn,
					void *user);
/*
 * Wait up to timeout_ms (-1: forever) for records, then consume them. Producers wake the
 * waiter on submit (unless BPF_RB_NO_WAKEUP). Returns as userbpf_ringbuf_consume(), or 0 on
 * timeout.
 */
USERBPF_API int userbpf_ringbuf_poll(struct userbpf_map *map, userbpf_ringbuf_fn fn, void *user,
				     int timeout_ms);

/* ==== Running with a context (src/helpers/testrun.c) ======================================== */
/*
 * Like Linux's BPF_PROG_TEST_RUN (libbpf's bpf_prog_test_run_opts). The program runs on a copy
 * of data_in, laid out as Linux lays it out: xdp gets 256 bytes of headroom before the packet
 * and room after it, so xdp_adjust_head/meta/tail succeed and fail exactly where they do in
 * Linux's test runs; skb types get a __sk_buff whose len/protocol/data describe the packet.
 * syscall programs get ctx_in as their context (and ctx_out its final contents). Raw memory
 * programs (UNSPEC) get data_in as r1/r2 and write in place.
 */
struct userbpf_test_run_opts {
	size_t sz;
	const void *data_in;     /* packet (xdp, skb) or memory (unspec) */
	uint32_t data_size_in;
	void *data_out;          /* NULL: not copied; else receives the final packet */
	uint32_t data_size_out;  /* in: capacity of data_out; out: final packet length */
	const void *ctx_in;      /* xdp: struct xdp_md; skb: struct __sk_buff; syscall: ctx */
	uint32_t ctx_size_in;
	void *ctx_out;
	uint32_t ctx_size_out;
	uint32_t retval;         /* out: r0 of the last run (truncated to 32 bits, like Linux) */
	int repeat;              /* runs; 0 means 1 */
	uint32_t duration;       /* out: mean ns per run (repeat > 1: thread CPU time) */
	uint64_t retval64;       /* out: full r0 */
};

/*
 * Run prog `repeat` times with a context built from opts. Returns 0, -EINVAL (sizes, ctx
 * fields Linux refuses), -ENOSPC (data_out too small: the first data_size_out bytes are
 * copied, as Linux), -ENOTSUP (program type without a test run), or the run's error.
 */
USERBPF_API int userbpf_prog_test_run(struct userbpf_prog *prog,
				      struct userbpf_test_run_opts *opts);
/* XDP verdicts (enum xdp_action). */
#define USERBPF_XDP_ABORTED  0
#define USERBPF_XDP_DROP     1
#define USERBPF_XDP_PASS     2
#define USERBPF_XDP_TX       3
#define USERBPF_XDP_REDIRECT 4

/*
 * Classic BPF (struct sock_filter) to eBPF, as Linux translates socket and seccomp filters:
 * the result takes r1 = ctx and returns the filter's 32-bit verdict. kind 0: socket filter
 * (ctx is a struct __sk_buff context; run with USERBPF_PROG_TYPE_SOCKET_FILTER or via
 * userbpf_prog_test_run). kind 1: seccomp (ctx is struct seccomp_data, loads are 32-bit words
 * of it; run as USERBPF_PROG_TYPE_UNSPEC on the seccomp_data). *out is freed with
 * userbpf_insns_free(). Returns 0, -EINVAL (invalid classic program, index in the log), -ENOMEM.
 */
struct userbpf_cbpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};
#define USERBPF_CBPF_SOCKET  0
#define USERBPF_CBPF_SECCOMP 1
USERBPF_API int userbpf_cbpf_to_ebpf(struct userbpf_env *env, const struct userbpf_cbpf_insn *in,
				     size_t cnt, int kind, struct userbpf_insn **out,
				     size_t *out_cnt);

#ifdef __cplusplus
}
#endif
#endif /* USERBPF_USERBPF_H */
