2// every kind of instruction once
r1 = 0x1122334455667788 ll
w2 = -1
r3 = (s8)r1
w4 = (s16)w2
r5 s/= 3
w6 s%= w2
r1 = be16 r1
r2 = le64 r2
r3 = bswap32 r3
*(u64 *)(r10 - 8) = r1
*(u32 *)(r10 - 16) = 7
lock *(u64 *)(r10 - 8) += r1
r1 = atomic_fetch_or((u64 *)(r10 - 8), r1)
w1 = xchg32_32(r10 - 16, w1)
r0 = cmpxchg_64(r10 - 8, r0, r2)
r0 = load_acquire((u64 *)(r10 - 8))
store_release((u32 *)(r10 - 16), w3)
r7 = *(s32 *)(r10 - 16)
if w7 s> -5 goto +1
may_goto +0
gotol +0
call 5
call pc+1
call kfunc 9, 1
r1 = map[idx:0]
r2 = map[idx:1][0]+8
r3 = func[pc+0]
callx r3
r0 = *(u16 *)skb[12]
r0 = *(u32 *)skb[r6 + 4]
exit
