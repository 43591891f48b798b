# SPDX-License-Identifier: Apache-2.0
# fib.s: the n-th Fibonacci number (n = first input byte, 0 without input), computed by a
# bpf-to-bpf call; pseudo-C syntax with labels, 32-bit and 64-bit operations.
	r0 = 0
	if r2 == 0 goto out		# no input: fib(0)
	r1 = *(u8 *)(r1 + 0)
	call fib			# a local call (src_reg 1) to the label
out:
	exit

# fib(r1): iterate with r2 = fib(i), r3 = fib(i + 1)
fib:
	r2 = 0
	r3 = 1
	w1 &= 0x7f			// 32-bit and: at most 127 rounds
next:
	if r1 == 0 goto done
	r4 = r2
	r4 += r3
	r2 = r3
	r3 = r4
	r1 += -1
	goto next
done:
	r0 = r2
	exit
