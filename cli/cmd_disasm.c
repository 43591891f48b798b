/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_disasm.c: placeholder until the subcommand lands. */
#include "cli.h"

int cmd_disasm(int argc, char **argv)
{
	(void)argc;
	cli_error(argv[0], "not built yet");
	return 2;
}
