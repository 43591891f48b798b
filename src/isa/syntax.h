/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syntax.h: the text form of every opcodes.def row, shared by the assembler and the
 * disassembler so that one template both prints and parses an instruction.
 *
 * A template is literal text with directives; each directive prints (and parses) one operand:
 *   %D %S  dst / src as a value register ("r1", "w1" for 32-bit rows, "%r1" in conformance)
 *   %P %Q  dst / src as a pointer register (always 64-bit: "r1", "%r1")
 *   %I     imm (decimal in pseudo-C, the official format in conformance)
 *   %X     imm as unsigned hex (Linux log jumps: "if r1 > 0x10")
 *   %A     helper id as "name#id" (Linux log); parses "name#id", "#id" or "id"
 *   %O     jump offset in off ("+3", "pc+3" in the Linux log, or a label)
 *   %J     jump offset in imm (gotol, local calls), same forms as %O
 *   %T     jump offset in imm, always "pc+3" form (pseudo-C local calls and callbacks)
 *   %M     memory offset in off (" + 4" pseudo-C, " +4" Linux log, "+4" / nothing conformance)
 *   %N     packet offset in imm (ld_ind), omitted when 0 in pseudo-C
 *   %F     kfunc BTF slot in off: ", N" when non-zero
 *   %R     callx target register (dst; or imm for the pre-LLVM-19 encoding)
 *   %K     lddw 64-bit immediate (imm and the second slot's imm)
 *   %L %H  lddw low / high 32-bit immediates (unsigned)
 *   %C     the row's conformance mnemonic     %o  the row's pseudo-C operator
 *   %W     the row's match value in decimal   %Z  access size name ("u32")
 *   %6     "64" for a 64-bit atomic, "" otherwise (Linux log names)
 * A space in a template prints one space and parses as optional whitespace (required between
 * two identifier characters).
 */
#ifndef UB_ISA_SYNTAX_H
#define UB_ISA_SYNTAX_H

#include "isa/isa.h"

/* Flavours: the two public syntaxes and the Linux verifier log form of pseudo-C. */
enum ub_flavour { UB_FL_LLVM, UB_FL_KERNEL, UB_FL_CONF, UB_FL_COUNT };

/* Fields a directive consumes (to check that nothing else is set). */
#define UB_FLD_DST 0x01
#define UB_FLD_SRC 0x02
#define UB_FLD_OFF 0x04
#define UB_FLD_IMM 0x08
#define UB_FLD_HI 0x10

/* The template row `id` prints with in flavour `fl`. */
const char *ub_syntax_tmpl(int id, int fl);
/* Extra templates the assembler also accepts for row `id` (n = 0, 1, ...), NULL after the last. */
const char *ub_syntax_alias(int id, int fl, int n);
/* Register prefix for %D/%S: 'r' or 'w' (pseudo-C); conformance always uses "%r". */
char ub_syntax_regc(int id, int fl);
/* Does the r/w prefix select the row (ALU and jump classes)? Otherwise both are accepted. */
int ub_syntax_reg_strict(int id);
/* "u8", "u16", "u32", "u64" for the access size of a memory row. */
const char *ub_syntax_size_name(int id);

#endif /* UB_ISA_SYNTAX_H */
