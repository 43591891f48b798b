/* SPDX-License-Identifier: Apache-2.0 */
/* map.c: placeholder for the map object until the maps module lands (issue 6). */
#include "core/core.h"

void ub_map_get(struct userbpf_map *map)
{
	(void)map;
}

void ub_map_put(struct userbpf_map *map)
{
	(void)map;
}
