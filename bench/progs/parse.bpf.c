/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.bpf.c: Ethernet / IPv4 / TCP header parse with every bounds check a real filter makes;
 * returns a verdict mixing the ports and flags (0 for anything that is not IPv4/TCP).
 */
#include "bench.h"

BENCH_INLINE u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

BENCH_PROG(parse)
{
	u64 ihl, off;
	u8 *ip, *tcp;

	if (len < 14)
		return 0;
	if (be16(data + 12) == 0x8100) { /* one VLAN tag */
		if (len < 18)
			return 0;
		off = 18;
	} else {
		off = 14;
	}
	if (be16(data + off - 2) != 0x0800)
		return 0;
	ip = data + off;
	if (off + 20 > len || (ip[0] >> 4) != 4)
		return 0;
	ihl = (u64)(ip[0] & 0xf) * 4;
	if (ihl < 20 || off + ihl + 20 > len || ip[9] != 6)
		return 0;
	if (be16(ip + 6) & 0x3fff) /* fragments */
		return 0;
	tcp = ip + ihl;
	{
		u64 sport = be16(tcp), dport = be16(tcp + 2), flags = tcp[13];
		u64 saddr = (u64)be16(ip + 12) << 16 | be16(ip + 14);

		if (dport == 22 && (flags & 0x02))
			return 2;
		return (sport ^ dport ^ saddr) << 8 | flags;
	}
}
