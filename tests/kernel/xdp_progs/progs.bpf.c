// SPDX-License-Identifier: Apache-2.0
/*
 * xdp_progs.bpf.c: small XDP programs run on the same packets by userbpf and by the live
 * kernel (tests/kernel/xdp_diff.c): parsing with bounds checks, array and hash maps with
 * atomic counters, header push/pop, tail trims, metadata, MAC swap and XDP_TX.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} proto_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} src_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} len_hist SEC(".maps");

static __always_inline void bump(void *map, __u32 k, __u64 by)
{
	__u64 *v = bpf_map_lookup_elem(map, &k);

	if (v)
		__sync_fetch_and_add(v, by);
}

/* Count by protocol, bytes by IPv4 source, a log2 length histogram; drop UDP to port 9. */
SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 len = end - data;
	__u32 slot = 0;

	while (slot < 15 && (1ull << slot) <= len)
		slot++;
	bump(&len_hist, slot, 1);
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		bump(&proto_cnt, 1, 1);
		return XDP_PASS;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		bump(&proto_cnt, 2, 1);
		return XDP_PASS;
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		bump(&proto_cnt, 0, 1);
		return XDP_PASS;
	}
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	__u32 src = ip->saddr;
	__u64 *b = bpf_map_lookup_elem(&src_bytes, &src);

	if (b) {
		__sync_fetch_and_add(b, len);
	} else {
		__u64 init = len;

		bpf_map_update_elem(&src_bytes, &src, &init, BPF_NOEXIST);
	}
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)ip + ip->ihl * 4;

		bump(&proto_cnt, 3, 1);
		if ((void *)(udp + 1) > end)
			return XDP_DROP;
		if (udp->dest == bpf_htons(9))
			return XDP_DROP;
		return XDP_PASS;
	}
	bump(&proto_cnt, 4, 1);
	return XDP_PASS;
}

/* Swap source and destination MAC addresses and send the packet back. */
SEC("xdp")
int xdp_swap_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	unsigned char tmp[ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}

/* Push a 4-byte tag before the packet, trim 3 bytes off long packets. */
SEC("xdp")
int xdp_push_trim(struct xdp_md *ctx)
{
	void *data, *end;
	__u32 *tag;

	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	tag = data;
	if ((void *)(tag + 1) > end)
		return XDP_ABORTED;
	*tag = bpf_htonl(0xfeedf00d);
	if (end - data > 100 && bpf_xdp_adjust_tail(ctx, -3))
		return XDP_ABORTED;
	if (end - data < 30 && bpf_xdp_adjust_tail(ctx, 16))
		return XDP_ABORTED;
	return XDP_PASS;
}

/* Reserve 8 bytes of metadata, store the packet length there and read it back. */
SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	void *data, *meta;
	__u64 *m;

	if (bpf_xdp_adjust_meta(ctx, -8))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	m = meta;
	if ((void *)(m + 1) > data)
		return XDP_ABORTED;
	*m = (void *)(long)ctx->data_end - data;
	return *m > 200 ? XDP_DROP : XDP_PASS;
}
