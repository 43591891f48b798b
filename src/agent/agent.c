/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.c: the LD_PRELOAD agent of `userbpf trace` (libuserbpf-agent.so): inside the traced
 * process it opens and loads the BPF object named by USERBPF_TRACE_OBJ, attaches every uprobe /
 * uretprobe program by its SEC() name, streams bpf_printk and ringbuf records to the file
 * descriptor USERBPF_TRACE_FD, and prints the maps when the process exits.
 *
 * `userbpf trace -p PID` loads it into a running process with dlopen (injected by ptrace); it
 * then reads its settings from /tmp/userbpf-agent-PID.conf (written by the CLI, deleted here),
 * talks over the CLI's unix socket, and when the CLI goes away (Ctrl-C) detaches every program,
 * prints the maps and goes dormant, leaving the process running.
 *
 * Without USERBPF_TRACE_OBJ in the environment (or the .conf file) it does nothing. It removes
 * its variables (and itself from LD_PRELOAD) at start, so the traced command's children run
 * untraced and the command sees the environment it would have had. Its output never goes to
 * the command's own stdout/stderr, only to the trace descriptor (or socket).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <userbpf/userbpf.h>

#define MAX_LINKS 256

static FILE *out;
static struct userbpf_env *env;
static struct userbpf_object *obj;
static struct userbpf_link *links[MAX_LINKS];
static size_t n_links;
static pthread_t rb_thread;
static volatile int rb_stop;
static int rb_running;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fflush(out);
}

/* Output to the CLI's socket: never SIGPIPE the traced process when the CLI is gone. */
static ssize_t sock_write(void *cookie, const char *buf, size_t len)
{
	ssize_t n = send((int)(intptr_t)cookie, buf, len, MSG_NOSIGNAL);

	return n < 0 ? (ssize_t)len : n; /* a gone reader drops output, nothing else */
}

static int sock_close(void *cookie)
{
	return close((int)(intptr_t)cookie);
}

/* bpf_printk lines arrive at INFO level; everything else is a diagnostic. */
static void on_log(void *user, int level, const char *msg)
{
	(void)user;
	if (level >= USERBPF_LOG_INFO)
		say("%s\n", msg);
	else
		say("userbpf: %s\n", msg);
}

/* Drop our own entry from LD_PRELOAD (space or colon separated). */
static void unpreload(void)
{
	const char *pre = getenv("LD_PRELOAD");
	char *copy, *tok, *save = NULL, buf[4096];
	size_t n = 0;

	if (!pre)
		return;
	copy = strdup(pre);
	if (!copy)
		return;
	buf[0] = 0;
	for (tok = strtok_r(copy, ": ", &save); tok; tok = strtok_r(NULL, ": ", &save)) {
		if (strstr(tok, "libuserbpf-agent"))
			continue;
		n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s",
				      n ? ":" : "", tok);
	}
	free(copy);
	if (buf[0] && n < sizeof(buf))
		setenv("LD_PRELOAD", buf, 1);
	else
		unsetenv("LD_PRELOAD");
}

/*
 * Attach one program by its SEC(): uprobe/uretprobe with BINARY:FUNC ("/path/app:func",
 * "./app:func", "libc.so.6:malloc"), fentry/fmod_ret with [BINARY:]FUNC.
 */
static int attach_one(struct userbpf_object_prog *op)
{
	const char *kind = userbpf_object_prog_attach_kind(op);
	const char *target = userbpf_object_prog_attach_target(op);
	struct userbpf_prog *prog = userbpf_object_prog_loaded(op);
	struct userbpf_tramp_opts o = { .sz = sizeof(o) };
	char objname[1024], *colon;
	struct userbpf_link *l;

	if (!strcmp(kind, "uprobe") || !strcmp(kind, "uretprobe")) {
		o.kind = strcmp(kind, "uprobe") ? USERBPF_TRAMP_RETURN : USERBPF_TRAMP_ENTRY;
	} else if (!strcmp(kind, "fentry") || !strcmp(kind, "fmod_ret")) {
		/* BPF_PROG() arguments: the 6 integer registers; fmod_ret's "ret so far" is 0. */
		o.kind = strcmp(kind, "fentry") ? USERBPF_TRAMP_OVERRIDE : USERBPF_TRAMP_ENTRY;
		o.ctx = USERBPF_TRAMP_CTX_ARGS;
		o.nr_args = 6;
	} else {
		say("userbpf: %s: SEC(\"%s\") is not uprobe, uretprobe, fentry or fmod_ret: not "
		    "attached (fexit: use uretprobe, whose PT_REGS_RC needs no argument count)\n",
		    userbpf_object_prog_name(op), userbpf_object_prog_section(op));
		return 0;
	}
	if (!target || !*target) {
		say("userbpf: %s: SEC(\"%s\") names no [BINARY:]FUNCTION to attach to\n",
		    userbpf_object_prog_name(op), userbpf_object_prog_section(op));
		return -EINVAL;
	}
	snprintf(objname, sizeof(objname), "%s%s", strchr(target, ':') ? "" : ":", target);
	colon = strrchr(objname, ':');
	*colon = 0;
	if (strchr(colon + 1, '+')) {
		say("userbpf: %s: offsets inside a function (%s) are not supported\n",
		    userbpf_object_prog_name(op), target);
		return -ENOTSUP;
	}
	if (n_links == MAX_LINKS)
		return -E2BIG;
	o.object = objname[0] ? objname : NULL;
	l = userbpf_tramp_attach(prog, colon + 1, &o);
	if (!l)
		return -errno;
	links[n_links++] = l;
	return 0;
}

static int on_record(void *user, void *data, size_t size)
{
	const uint8_t *p = data;

	say("%s:", (const char *)user);
	for (size_t i = 0; i < size; i++)
		say(" %02x", p[i]);
	say("\n");
	return 0;
}

static void *rb_main(void *arg)
{
	(void)arg;
	while (!rb_stop) {
		int any = 0;

		for (size_t i = 0; i < userbpf_object_map_cnt(obj); i++) {
			struct userbpf_object_map *om = userbpf_object_map_at(obj, i);
			struct userbpf_map *m = userbpf_object_map_loaded(om);

			if (!m || userbpf_map_type(m) != USERBPF_MAP_TYPE_RINGBUF)
				continue;
			any = 1;
			userbpf_ringbuf_poll(m, on_record, (void *)userbpf_map_name(m), 50);
		}
		if (!any)
			break;
	}
	return NULL;
}

/* Print an integer of 1, 2, 4 or 8 bytes in decimal, anything else as hex bytes. */
static void print_val(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;

	if (size == 1 || size == 2 || size == 4 || size == 8) {
		memcpy(&v, p, size);
		say("%" PRIu64, v);
		return;
	}
	for (uint32_t i = 0; i < size; i++)
		say("%s%02x", i ? " " : "", p[i]);
}

struct dump {
	struct userbpf_map *map;
	int hist;
	uint64_t max;
	int pass;
};

static int dump_one(void *user, const void *key, const void *value)
{
	struct dump *d = user;
	uint32_t ks = userbpf_map_key_size(d->map), vs = userbpf_map_value_size(d->map);
	uint64_t v = 0, k = 0;

	if (d->hist) {
		memcpy(&k, key, ks);
		memcpy(&v, value, vs);
		if (d->pass == 0) {
			if (v > d->max)
				d->max = v;
			return 0;
		}
		if (!v)
			return 0;
		if (k < 64) {
			char bar[41], label[64];
			size_t w = d->max ? (size_t)(v * 40 / d->max) : 0;

			memset(bar, '@', w);
			bar[w] = 0;
			snprintf(label, sizeof(label), "[%" PRIu64 ", %" PRIu64 ")",
				 k ? (uint64_t)1 << (k - 1) : 0, (uint64_t)1 << k);
			say("  %-28s %10" PRIu64 " |%-40s|\n", label, v, bar);
		}
		return 0;
	}
	say("  ");
	if (ks)
		print_val(key, ks);
	say(": ");
	print_val(value, vs);
	say("\n");
	return 0;
}

static void print_maps(void)
{
	for (size_t i = 0; i < userbpf_object_map_cnt(obj); i++) {
		struct userbpf_object_map *om = userbpf_object_map_at(obj, i);
		struct userbpf_map *m = userbpf_object_map_loaded(om);
		struct userbpf_map_desc desc = { .sz = sizeof(desc) };
		struct dump d = { .map = m };
		uint32_t t;

		if (!m || userbpf_object_map_desc(om, &desc) || strcmp(desc.section, ".maps") ||
		    (userbpf_map_value_size_user(m) != userbpf_map_value_size(m)))
			continue;
		t = userbpf_map_type(m);
		if (t != USERBPF_MAP_TYPE_HASH && t != USERBPF_MAP_TYPE_ARRAY &&
		    t != USERBPF_MAP_TYPE_LRU_HASH)
			continue;
		/* A map whose name says "hist" with integer keys and counts: log2 buckets. The
		 * descriptor has the full name (the map's own is cut at 15 bytes as in Linux). */
		d.hist = strstr(desc.name ? desc.name : userbpf_map_name(m), "hist") &&
			 (userbpf_map_key_size(m) == 4 || userbpf_map_key_size(m) == 8) &&
			 (userbpf_map_value_size(m) == 4 || userbpf_map_value_size(m) == 8);
		say("\n@%s:\n", desc.name ? desc.name : userbpf_map_name(m));
		if (d.hist)
			userbpf_map_dump(m, dump_one, &d);
		d.pass = 1;
		userbpf_map_dump(m, dump_one, &d);
	}
}

static int finished; /* maps printed already (-p mode detach) */

static void agent_fini(void)
{
	if (!obj || finished)
		return;
	if (rb_running) {
		rb_stop = 1;
		pthread_join(rb_thread, NULL);
	}
	print_maps();
	/* The process is exiting: the links stay (other threads may still call hooked code). */
}

/* -p PID mode: the settings file the CLI left for this process. Returns 0 or -1. */
static int read_conf(char *objpath, size_t size, int *unverified, int *sock)
{
	char path[64], line[4200], sockpath[108] = "";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/userbpf-agent-%d.conf", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return -1;
	unlink(path);
	objpath[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		size_t n = strlen(line);

		if (!strncmp(line, "obj=", 4) && n - 4 < size)
			memcpy(objpath, line + 4, n - 3);
		else if (!strncmp(line, "sock=", 5) && n - 5 < sizeof(sockpath))
			memcpy(sockpath, line + 5, n - 4);
		else if (!strcmp(line, "unverified=1"))
			*unverified = 1;
	}
	fclose(f);
	if (!objpath[0] || !sockpath[0])
		return -1;
	*sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
	if (*sock < 0 || connect(*sock, (struct sockaddr *)&sa, sizeof(sa))) {
		if (*sock >= 0)
			close(*sock);
		return -1;
	}
	return 0;
}

/* -p PID mode: when the CLI closes its end, detach everything, print the maps, go dormant. */
static void *control_main(void *arg)
{
	int sock = (int)(intptr_t)arg;
	char c;

	while (recv(sock, &c, 1, 0) > 0)
		;
	for (size_t i = 0; i < n_links; i++)
		userbpf_link_free(links[i]);
	say("userbpf: %zu program%s detached\n", n_links, n_links == 1 ? "" : "s");
	n_links = 0;
	if (rb_running) {
		rb_stop = 1;
		pthread_join(rb_thread, NULL);
		rb_running = 0;
	}
	print_maps();
	finished = 1;
	fclose(out);
	out = stderr;
	return NULL;
}

static void attach_all(void)
{
	for (size_t i = 0; i < userbpf_object_prog_cnt(obj); i++) {
		struct userbpf_object_prog *op = userbpf_object_prog_at(obj, i);
		int err = attach_one(op);

		if (err)
			say("userbpf: %s: not attached: %s\n", userbpf_object_prog_name(op),
			    strerror(-err));
	}
	say("userbpf: %zu program%s attached\n", n_links, n_links == 1 ? "" : "s");
	if (!pthread_create(&rb_thread, NULL, rb_main, NULL))
		rb_running = 1;
}

__attribute__((constructor)) static void agent_init(void)
{
	const char *path = getenv("USERBPF_TRACE_OBJ"), *fd = getenv("USERBPF_TRACE_FD");
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = on_log };
	struct userbpf_object_load_opts lo = { .sz = sizeof(lo) };
	int unverified = 0, sock = -1, err;
	char objpath[4096];

	if (path) {
		snprintf(objpath, sizeof(objpath), "%s", path);
		out = fd ? fdopen(atoi(fd), "w") : NULL;
		unverified = getenv("USERBPF_TRACE_UNVERIFIED") != NULL;
		unsetenv("USERBPF_TRACE_OBJ");
		unsetenv("USERBPF_TRACE_FD");
		unsetenv("USERBPF_TRACE_UNVERIFIED");
		unpreload();
	} else if (!read_conf(objpath, sizeof(objpath), &unverified, &sock)) {
		cookie_io_functions_t io = { .write = sock_write, .close = sock_close };

		out = fopencookie((void *)(intptr_t)sock, "w", io);
	} else {
		return;
	}
	if (!out)
		out = stderr;
	if (unverified)
		lo.flags = USERBPF_PROG_F_TRUSTED;

	env = userbpf_env_new(&eo);
	obj = env ? userbpf_object_open_file(env, objpath, NULL) : NULL;
	if (!obj) {
		say("userbpf: cannot open %s: %s\n", objpath, strerror(errno));
		goto fail;
	}
	err = userbpf_object_load(obj, &lo);
	if (err) {
		say("userbpf: cannot load %s: %s\n", objpath, strerror(-err));
		userbpf_object_free(obj);
		obj = NULL;
		goto fail;
	}
	attach_all();
	if (sock >= 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, control_main, (void *)(intptr_t)sock) == 0)
			pthread_detach(t);
	}
	atexit(agent_fini);
	return;
fail:
	if (sock >= 0) {
		fclose(out);
		out = stderr;
	}
}
