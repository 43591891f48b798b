/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progtypes.h: program types (progtypes.def): context layouts and the runtime structs the
 * context register points to, helper groups, return ranges. Consumed by the verifier (context
 * access checks and load rewrites), the engines and the test-run code.
 */
#ifndef UB_PROGTYPES_H
#define UB_PROGTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "helpers/helpers.h"

/* Linux test runs reserve this much headroom before an XDP packet (XDP_PACKET_HEADROOM). */
#define UB_XDP_HEADROOM 256
/* Bytes after the packet available to xdp_adjust_tail growth (Linux: the page's tailroom). */
#define UB_XDP_TAILROOM 320

/*
 * What an xdp program's ctx register points to. The program sees struct xdp_md; each load of
 * an xdp_md field is rewritten (progtypes.def) into a load from here, so data/data_end/
 * data_meta are full 64-bit pointers. data_hard_start..frame_end is the whole buffer
 * (headroom + packet + tailroom) that the adjust helpers may move within.
 */
struct ub_xdp_buff {
	uint8_t *data;
	uint8_t *data_end;
	uint8_t *data_meta;	  /* == data when there is no metadata */
	uint8_t *data_hard_start; /* start of the buffer */
	uint8_t *frame_end;	  /* end of the buffer (data_end may grow up to here) */
	uint32_t ingress_ifindex;
	uint32_t rx_queue_index;
	uint32_t egress_ifindex;
	uint32_t pad_;
};

/* What a socket_filter / sched_cls / sched_act program's ctx points to (behind __sk_buff). */
struct ub_skb {
	uint8_t *data;
	uint8_t *data_end;
	uint8_t *data_meta;
	uint64_t tstamp;
	uint32_t len;
	uint32_t pkt_type;
	uint32_t mark;
	uint32_t queue_mapping;
	uint32_t protocol; /* network byte order, like skb->protocol */
	uint32_t vlan_present;
	uint32_t vlan_tci;
	uint32_t vlan_proto;
	uint32_t priority;
	uint32_t ingress_ifindex;
	uint32_t ifindex;
	uint32_t tc_index;
	uint32_t cb[5];
	uint32_t hash;
	uint32_t tc_classid;
	uint32_t napi_id;
	uint32_t wire_len;
	uint32_t gso_segs;
	uint32_t gso_size;
};

/* x86-64 struct pt_regs, the kprobe/uprobe context (read-only, read in place). */
struct ub_pt_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
};

/* Which context a program type has. */
enum ub_ctx_id {
	UB_CTX_ID_NONE = 0, /* no fixed layout (raw memory, syscall) */
	UB_CTX_ID_XDP,	    /* struct xdp_md */
	UB_CTX_ID_SKB,	    /* struct __sk_buff, as tc programs see it */
	UB_CTX_ID_SKB_SOCK, /* struct __sk_buff, as socket filters see it (SKB rows, narrowed) */
	UB_CTX_ID_PT_REGS,  /* struct pt_regs */
	UB_CTX_ID_ARGS,	    /* u64 args[] of a traced function (fentry) */
};

/* How the context may be accessed. */
enum ub_ctx_access {
	UB_CA_MEM = 0, /* r1 = memory, r2 = length: not a context */
	UB_CA_REWRITE, /* only listed fields; loads rewritten to the runtime struct */
	UB_CA_RAW_RO,  /* aligned reads of 1..8 bytes anywhere in ctx_size */
	UB_CA_RAW_RW,  /* reads and writes within the caller-given size */
};

/* What a context field load yields. */
enum ub_field_kind {
	UB_FK_SCALAR = 0,
	UB_FK_PKT,	/* pointer to the first packet byte */
	UB_FK_PKT_END,	/* pointer one past the last packet byte */
	UB_FK_PKT_META, /* pointer to the metadata (<= packet start) */
};

#define UB_FA_R 0x1
#define UB_FA_RW 0x3
#define UB_FA_TC 0x4    /* tc programs only: invisible to socket filters */
#define UB_FA_SOCKW 0x8 /* socket filters may write it too (cb[]) */
#define UB_FA_R_TC (UB_FA_R | UB_FA_TC)
#define UB_FA_RW_TC (UB_FA_RW | UB_FA_TC)
#define UB_FA_RW_SOCKW (UB_FA_RW | UB_FA_SOCKW)

struct ub_ctx_field {
	const char *name;
	uint8_t ctx;	    /* enum ub_ctx_id */
	uint16_t off, size; /* in the BPF-visible struct */
	uint16_t real_off;  /* in the runtime struct */
	uint8_t real_size;
	uint8_t kind;	/* enum ub_field_kind */
	uint8_t access; /* UB_FA_* */
};

struct ub_prog_type_info {
	uint32_t num;		  /* Linux enum bpf_prog_type */
	const char *name;	  /* "xdp", "socket_filter", ... */
	uint8_t ctx;		  /* enum ub_ctx_id */
	uint8_t ctx_access;	  /* enum ub_ctx_access */
	uint8_t groups;		  /* UB_HG_* */
	uint16_t ctx_size;	  /* BPF-visible size; 0 = caller's */
	int64_t ret_min, ret_max; /* ret_min > ret_max: unchecked */
};

/* The program type `num`, or NULL when userbpf does not support it. */
const struct ub_prog_type_info *ub_prog_type(uint32_t num);
/* By name ("xdp"), or NULL. */
const struct ub_prog_type_info *ub_prog_type_by_name(const char *name);
/* The fields of context `ctx` (sorted by off) and their number in *cnt. */
const struct ub_ctx_field *ub_ctx_fields(unsigned ctx, size_t *cnt);
/* The field covering [off, off + size) of a REWRITE context, or NULL. */
const struct ub_ctx_field *ub_ctx_field_find(const struct ub_prog_type_info *t, uint32_t off,
					     uint32_t size);
/* May a program of type `t` write field `f` (found by ub_ctx_field_find)? */
int ub_ctx_field_writable(const struct ub_prog_type_info *t, const struct ub_ctx_field *f);
/* Is the context a struct __sk_buff (tc or socket filter view)? */
static inline int ub_ctx_is_skb(unsigned ctx)
{
	return ctx == UB_CTX_ID_SKB || ctx == UB_CTX_ID_SKB_SOCK;
}
/* May a program of type `t` call the built-in helper `p`? */
int ub_prog_type_allows(const struct ub_prog_type_info *t, const struct ub_helper_proto *p);

#endif /* UB_PROGTYPES_H */
