/* SPDX-License-Identifier: Apache-2.0 */
/* checksum.bpf.c: the Internet checksum (RFC 1071) of the whole buffer (1500 bytes in bench). */
#include "bench.h"

BENCH_PROG(checksum)
{
	u64 sum = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (u64)data[i] << 8 | data[i + 1];
	if (i < len)
		sum += (u64)data[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}
