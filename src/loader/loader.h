/* SPDX-License-Identifier: Apache-2.0 */
/* loader.h: the ELF object loader's internal model: sections, symbols, BTF, programs, maps. */
#ifndef UB_LOADER_H
#define UB_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "loader/btf.h"

/* One ELF section, bounds-checked against the image at open. */
struct ub_sec {
	const char *name;
	uint32_t type;        /* SHT_* */
	uint64_t flags;       /* SHF_* */
	uint64_t off;         /* file offset (for messages) */
	const uint8_t *data;  /* NULL for SHT_NOBITS and empty sections */
	size_t size;
	uint32_t link, info;
	uint32_t entsize;
	int32_t map_idx;      /* global data section: index of its map, else -1 */
	/* Executable sections: relocation index per instruction (0: none, else rel index + 1). */
	uint32_t *relo_at;
};

struct ub_sym {
	const char *name;     /* "" when unnamed */
	uint64_t value, size;
	uint32_t shndx;
	uint8_t type, bind;
};

/* One relocation of an executable section, checked at open. */
struct ub_rel {
	uint64_t off;         /* byte offset in the target section */
	uint32_t sym;
	uint32_t type;        /* R_BPF_* */
};

/* Where a map descriptor came from. */
enum ub_map_origin { UB_MAP_BTF, UB_MAP_LEGACY, UB_MAP_DATA, UB_MAP_INNER };

struct userbpf_object_map {
	struct userbpf_object *obj;
	char *name;
	uint32_t idx;                 /* position in obj->maps (inner templates: UINT32_MAX) */
	enum ub_map_origin origin;
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t btf_key_id, btf_value_id; /* 0 when unknown */
	struct userbpf_object_map *inner; /* map-in-map: the inner map template (owned) */
	uint32_t sec;                 /* ELF section of the declaration */
	uint64_t sec_off;             /* offset of the declaration in it */
	uint8_t *data;                /* global data: initial value (value_size bytes), owned */
	uint64_t def_size;            /* BTF maps: size of the definition (its symbol) */
	int64_t values_off;           /* map-in-map: offset of `values` in the definition, or -1 */
	uint32_t *init_slot;          /* map-in-map: slot i holds map init_inner[i] (obj index) */
	uint32_t *init_inner;
	uint32_t ninit;
	struct userbpf_map *map;      /* created at load (NULL until then) */
};

struct userbpf_object_prog {
	struct userbpf_object *obj;
	char *name;
	const char *sec_name;         /* points into the image */
	uint32_t sec;
	uint64_t start, len;          /* instruction range of the entry function in its section */
	uint32_t type;                /* enum userbpf_prog_type */
	const char *attach_kind;      /* "xdp", "uprobe", ... (static string) */
	char *attach_target;          /* what follows "kind/" in the section name, or NULL */
	uint8_t sleepable;
	/* After linking (subprograms appended) and relocation: */
	struct userbpf_insn *insns;
	size_t cnt;
	struct userbpf_line_info *lines; /* strings point into the BTF */
	size_t nlines;
	struct userbpf_func_info *funcs; /* names point into the image */
	size_t nfuncs;
	struct userbpf_prog *loaded;
};

struct userbpf_object {
	struct userbpf_env *env;
	char *name;                   /* file name, for messages */
	uint8_t *image;               /* owned copy of the file */
	size_t size;
	struct ub_sec *secs;
	size_t nsec;
	struct ub_sym *syms;
	size_t nsym;
	struct ub_rel *rels;          /* relocations of executable sections */
	size_t nrel;
	char license[128];
	struct ub_btf *btf;           /* the object's .BTF, or NULL */
	struct ub_btf_ext *ext;       /* .BTF.ext, or NULL */
	struct ub_btf *target_btf;    /* CO-RE target (owned), or NULL: use btf */
	struct userbpf_object_prog *progs;
	size_t nprog;
	struct userbpf_object_map *maps;
	size_t nmap;
	int loaded;
};

#define UB_OBJ_LOG(obj) (&(obj)->env->log)

/* Section name for messages ("#3" when unnamed). */
const char *ub_obj_sec_name(const struct userbpf_object *obj, uint32_t sec);

/* .data, .rodata, .bss and their ".name" variants (global data, one array map each). */
int ub_obj_is_data_sec(const struct ub_sec *s);

/* Maps: collect descriptors from .maps, maps, and global data sections (maps.c). */
int ub_obj_collect_maps(struct userbpf_object *obj);
void ub_obj_free_maps(struct userbpf_object *obj);
/* Map-in-map initial values: the relocations of .maps (after ub_obj_collect_maps). */
int ub_obj_collect_map_values(struct userbpf_object *obj);
/* The map declared at (sec, off), or NULL. */
struct userbpf_object_map *ub_obj_map_at(struct userbpf_object *obj, uint32_t sec, uint64_t off);

/* Link one program: append subprograms, resolve calls, maps, globals, CO-RE, line info. */
int ub_obj_link_prog(struct userbpf_object *obj, struct userbpf_object_prog *prog);

/* Section name conventions -> program type and attach target (secdef.c). */
int ub_obj_classify_prog(struct userbpf_object *obj, struct userbpf_object_prog *prog);

/*
 * CO-RE: apply one relocation record to insns[idx] of a linked program (relo_core.c).
 * Returns 0, or -errno after logging what and where.
 */
struct ub_core_relo {
	uint32_t insn_off, type_id, access_str_off, kind;
};
int ub_core_apply(struct userbpf_object *obj, const char *prog_name, struct userbpf_insn *insns,
		  size_t cnt, size_t idx, const struct ub_core_relo *r);

#endif /* UB_LOADER_H */
