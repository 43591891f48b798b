/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_conformance_plugin.c: placeholder until the subcommand lands. */
#include "cli.h"

int cmd_conformance_plugin(int argc, char **argv)
{
	(void)argc;
	cli_error(argv[0], "not built yet");
	return 2;
}
