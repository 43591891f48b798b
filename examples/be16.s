# SPDX-License-Identifier: Apache-2.0
# be16.s: bpf_conformance syntax: read the big-endian 16-bit length field at offset 2 of an
# IPv4 header (r1 = packet, r2 = its length); -1 if the packet is shorter than 4 bytes.
	mov %r0, -1
	jlt %r2, 4, short
	ldxh %r0, [%r1+2]
	be16 %r0			# network to host byte order
short:
	exit
