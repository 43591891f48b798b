/* SPDX-License-Identifier: Apache-2.0 */
/* sections.bpf.c: several programs per object, one per SEC convention. */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

SEC("xdp") int on_xdp(void *ctx) { return 2; }
SEC("?socket") int on_socket(void *ctx) { return 0; }
SEC("uprobe//usr/bin/app:handle_request") int on_uprobe(void *ctx) { return 0; }
SEC("uretprobe//usr/bin/app:handle_request") int on_uretprobe(void *ctx) { return 0; }
SEC("usdt/app:provider:probe") int on_usdt(void *ctx) { return 0; }
SEC("fentry/do_work") int on_fentry(void *ctx) { return 0; }
SEC("fexit/do_work") int on_fexit(void *ctx) { return 0; }
SEC("fmod_ret/do_work") int on_fmod_ret(void *ctx) { return 0; }
SEC("tracepoint/sched/sched_switch") int on_tp(void *ctx) { return 0; }
SEC("raw_tp/sched_switch") int on_raw_tp(void *ctx) { return 0; }
SEC("struct_ops/ops_init") int on_struct_ops(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "Apache-2.0";
