7# conformance syntax: loops, atomics, wide loads
	mov %r0, 0
	lddw %r1, 0x0102030405060708
	stxdw [%r10-8], %r1
	lock fetch add [%r10-8], %r0
	lock cmpxchg32 [%r10-16], %r2
again:
	add32 %r0, 3
	jslt32 %r0, 40, again
	ldxsh %r3, [%r10-8]
	movsx1664 %r4, %r3
	sdiv %r4, -7
	swap64 %r4
	ja32 +1
	call local sub
	exit
sub:
	call 5
	call %r2
	exit
