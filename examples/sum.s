# SPDX-License-Identifier: Apache-2.0
# sum.s: add up the bytes of the input memory (r1 = data, r2 = length), return the sum.
	r0 = 0
	if r2 == 0 goto done
loop:
	r3 = *(u8 *)(r1 + 0)
	r0 += r3
	r1 += 1
	r2 += -1
	if r2 != 0 goto loop
done:
	exit
