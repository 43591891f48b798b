/* SPDX-License-Identifier: Apache-2.0 */
/* point.c: host-declared hook points (<userbpf/hook.h>): attach, detach, run. */
#include <errno.h>
#include <stdlib.h>

#include "hooks/hooks.h"
#include "userbpf/hook.h"

USERBPF_API struct userbpf_link *userbpf_hook_point_attach(struct userbpf_hook_point *hp,
							   struct userbpf_prog *prog)
{
	struct ub_hook_list *old, *list;
	struct userbpf_link *link;
	int err;

	if (!hp || !prog) {
		errno = EINVAL;
		return NULL;
	}
	link = ub_link_new(prog, UB_LINK_POINT, hp);
	if (!link)
		return NULL;
	ub_hooks_lock();
	err = ub_hook_sync_init(&prog->env->log);
	if (err)
		goto fail;
	old = hp->active;
	list = ub_hook_list_edit(old, link, 1);
	if (!list) {
		err = -ENOMEM;
		goto fail;
	}
	__atomic_store_n(&hp->active, list, __ATOMIC_RELEASE);
	ub_hook_synchronize();
	free(old);
	ub_hooks_unlock();
	return link;
fail:
	ub_hooks_unlock();
	ub_free(prog->env, link);
	errno = -err;
	return NULL;
}

void ub_point_detach(struct userbpf_link *link)
{
	struct userbpf_hook_point *hp = link->target;
	struct ub_hook_list *old = hp->active, *list;

	list = ub_hook_list_edit(old, link, 0);
	if (!list) {
		/* Out of memory: an empty list rather than one that keeps a dangling program. */
		ub_err(&link->env->log, "hook %s: no memory to rebuild the program list; "
		       "detaching every program of the hook", hp->name);
	} else if (!list->cnt) {
		free(list);
		list = NULL;
	}
	__atomic_store_n(&hp->active, list, __ATOMIC_RELEASE);
	ub_hook_synchronize();
	free(old);
}

USERBPF_API UB_HOOK_HOT uint64_t userbpf_hook_point_run(struct userbpf_hook_point *hp, void *ctx)
{
	struct ub_hook_thread *th = ub_hook_thread();
	const struct ub_hook_list *list;
	uint64_t r0 = 0;

	if (__builtin_expect(!th, 0))
		return 0;
	ub_hook_enter(th);
	list = __atomic_load_n((struct ub_hook_list **)&hp->active, __ATOMIC_ACQUIRE);
	if (__builtin_expect(th->nest > 1, 0)) {
		/* Reached from inside a program: run nothing, count the miss. */
		ub_hook_miss(list, 0, list ? list->cnt : 0);
	} else if (list) {
		for (uint32_t i = 0; i < list->cnt; i++)
			r0 = ub_hook_run(&list->e[i], ctx, hp->ctx_size, 0);
	}
	ub_hook_exit(th);
	return r0;
}
