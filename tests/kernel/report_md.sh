#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report_md.sh: turn the differential test's report ($BUILD/kernel/report.txt, written by
# kernel_verifier) into the Markdown tables and lists of docs/verifier-agreement.md: totals per
# suite and mode, then every disagreement (unsafe accepts, hangs, policy accepts, false
# rejects) with both sides' reasons, and why cases had no userbpf verdict.
#   usage: report_md.sh BUILD_DIR > section.md
set -eu
R=${1:?usage: report_md.sh BUILD_DIR}/kernel/report.txt
[ -f "$R" ] || { echo "report_md.sh: no $R (run the kernel_verifier test first)" >&2; exit 2; }
head -n 1 "$R" | sed 's/^/_/; s/$/_/'
echo
echo "| suite, mode | agree (accept) | agree (reject) | false reject | policy accept | UNSAFE accept | Spectre v1 gap (unpriv) | hang/crash | userbpf N/A | skipped |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk '/^== /{s=$0; sub(/^== /,"",s); sub(/ ==$/,"",s)}
     /^-- totals:/{n=split($0,a,","); line="| " s;
       for(i=1;i<=n;i++){k=split(a[i],w," "); m=w[k]; gsub(/[^0-9]/,"",m); line=line " | " m}
       print line " |"}' "$R"
echo
section() { # title, report tag
	echo "### $1"
	echo
	awk -v tag="$2" '/^== /{s=$0; sub(/^== /,"",s); sub(/ ==$/,"",s)}
		index($0, tag " ")==1 {l=substr($0, length(tag)+2); sub(/^ +/,"",l);
		gsub(/\|/,"\\|",l); print "- (" s ") " l}' "$R" > /tmp/report_md.$$
	if [ -s /tmp/report_md.$$ ]; then cat /tmp/report_md.$$; else echo "None."; fi
	rm -f /tmp/report_md.$$
	echo
}
section "Unsafe accepts (userbpf accepts, Linux rejects for a safety reason)" "UNSAFE"
section "Accepted by userbpf, refused unprivileged by Linux's Spectre v1 sanitation (not modelled yet)" "spectre"
section "userbpf's verifier hung or crashed" "BROKEN"
section "Accepted by userbpf, refused by Linux for policy (helper or type availability, BTF, fds)" "policy"
section "False rejects (Linux accepts, userbpf rejects)" "falserej"
echo "### Why some cases had no userbpf verdict"
echo
grep '^n/a' "$R" | sed -E 's/^n\/a +[^ ]+: //; s/[0-9]+/N/g; s/\/[^ ]*\/kernel\/progs\///' |
	sort | uniq -c | sort -rn | sed -E 's/^ *([0-9]+) (.*)/- \1 × \2/'
echo
echo "### Cases not run on either side"
echo
grep '^skipped' "$R" | sed -E 's/^skipped +[^ ]+: //; s/[0-9]+/N/g' | sort | uniq -c | sort -rn |
	sed -E 's/^ *([0-9]+) (.*)/- \1 × \2/'
