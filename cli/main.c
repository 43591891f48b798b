/* SPDX-License-Identifier: Apache-2.0 */
/* main.c: the `userbpf` command: dispatch to one subcommand from commands.def. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
#define UB_CMD(name, fn, summary) { name, fn, summary },
#include "commands.def"
#undef UB_CMD
};

static void usage(FILE *f)
{
	fprintf(f, "usage: userbpf <command> [options]   (userbpf <command> --help for details)\n\n"
		   "userbpf %s: eBPF for user space.\n\ncommands:\n", userbpf_version());
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-20s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("userbpf %s\n", userbpf_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "userbpf: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
