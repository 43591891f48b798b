/* SPDX-License-Identifier: Apache-2.0 */
/* env.c: the environment object: allocator, log sink, helper registry, owned programs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "maps/map.h"

static void *default_alloc(void *user, size_t size)
{
	(void)user;
	return malloc(size);
}

static void *default_realloc(void *user, void *ptr, size_t size)
{
	(void)user;
	return realloc(ptr, size);
}

static void default_free(void *user, void *ptr)
{
	(void)user;
	free(ptr);
}

void *ub_alloc(struct userbpf_env *env, size_t size)
{
	return env->alloc.alloc(env->alloc.user, size ? size : 1);
}

void *ub_zalloc(struct userbpf_env *env, size_t size)
{
	void *p = ub_alloc(env, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void *ub_realloc(struct userbpf_env *env, void *ptr, size_t size)
{
	return env->alloc.realloc(env->alloc.user, ptr, size ? size : 1);
}

void ub_free(struct userbpf_env *env, void *ptr)
{
	if (ptr)
		env->alloc.free(env->alloc.user, ptr);
}

char *ub_strdup(struct userbpf_env *env, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ub_alloc(env, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

USERBPF_API const char *userbpf_version(void)
{
	return "0.1.0";
}

USERBPF_API struct userbpf_env *userbpf_env_new(const struct userbpf_env_opts *opts)
{
	struct userbpf_allocator alloc = { default_alloc, default_realloc, default_free, NULL };
	struct userbpf_env *env;

	if (opts && opts->sz < offsetof(struct userbpf_env_opts, alloc)) {
		errno = EINVAL;
		return NULL;
	}
	if (opts && opts->sz >= sizeof(*opts) && opts->alloc) {
		if (!opts->alloc->alloc || !opts->alloc->realloc || !opts->alloc->free) {
			errno = EINVAL;
			return NULL;
		}
		alloc = *opts->alloc;
	}
	env = alloc.alloc(alloc.user, sizeof(*env));
	if (!env) {
		errno = ENOMEM;
		return NULL;
	}
	memset(env, 0, sizeof(*env));
	env->alloc = alloc;
	env->log.level = USERBPF_LOG_INFO;
	if (opts) {
		env->log.fn = opts->log_fn;
		env->log.user = opts->log_user;
		if (opts->log_level)
			env->log.level = opts->log_level;
	}
	pthread_mutex_init(&env->lock, NULL);
	ub_helpers_install(env);
	return env;
}

USERBPF_API void userbpf_env_free(struct userbpf_env *env)
{
	if (!env)
		return;
	while (env->progs)
		userbpf_prog_free(env->progs);
	ub_maps_release_all(env); /* maps still held by the caller die with the env */
	for (size_t i = 0; i < USERBPF_MAX_HELPER_ID; i++)
		if (env->helpers[i].owned_name)
			ub_free(env, (void *)env->helpers[i].name);
	pthread_mutex_destroy(&env->lock);
	env->alloc.free(env->alloc.user, env);
}

USERBPF_API int userbpf_env_add_helper(struct userbpf_env *env, uint32_t id, const char *name,
				       userbpf_helper_fn fn)
{
	struct ub_helper *h;
	char *copy;

	if (!env || !fn || !name || id >= USERBPF_MAX_HELPER_ID)
		return -EINVAL;
	copy = ub_strdup(env, name);
	if (!copy)
		return -ENOMEM;
	h = &env->helpers[id];
	if (h->owned_name)
		ub_free(env, (void *)h->name);
	h->name = copy;
	h->owned_name = 1;
	h->fn = fn;
	return 0;
}
