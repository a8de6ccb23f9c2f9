#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What ka-run hands the program: libkashim.so in LD_PRELOAD exactly once,
# next to what was there; its options on the program's sockets (read back
# with getsockopt, against a control run without ka-run); config program
# sections through -c; where it finds the library (build tree, KASHIM_LIB,
# installed layout, the path make install writes into it).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/karun.sh"

t_tmpdir tmp
# A second real library to preload beside kashim (ld.so would complain
# about a missing one on every run).
other=$($PYTHON -c 'import ctypes.util,sys; print(ctypes.util.find_library("m"))')
other=$(ldconfig -p | awk -v n="$other" '$1 == n && /x86-64|64bit/ {print $NF; exit}')
[ -n "$other" ] || other=$(ldconfig -p | awk '$1 ~ /^libm\.so/ {print $NF; exit}')

show_preload='import os; print(os.environ.get("LD_PRELOAD", "<unset>"))'
# Isolate from the machine's /etc/keepalive.conf.
: >"$tmp/empty.conf"
export KASHIM_CONFIG=$tmp/empty.conf
unset LD_PRELOAD KASHIM_IDLE KASHIM_INTERVAL KASHIM_COUNT KASHIM_USER_TIMEOUT KASHIM_KEEPALIVE KASHIM_OVERRIDE \
	KEEPIDLE KEEPINTVL KEEPCNT KEEPALIVE KASHIM_LOG KASHIM_DEBUG
# ka-run must find the library itself; common.sh only names it.
export -n KASHIM_LIB

# ---- LD_PRELOAD --------------------------------------------------------
expect_eq "control: LD_PRELOAD unset without ka-run" "<unset>" "$($PYTHON -c "$show_preload")"
expect_eq "LD_PRELOAD set to the build library" "$KASHIM_LIB" "$("$KA_RUN" $PYTHON -c "$show_preload")"
expect_eq "LD_PRELOAD keeps a colon list" "$other:$KASHIM_LIB" \
	"$(LD_PRELOAD=$other "$KA_RUN" $PYTHON -c "$show_preload")"
expect_eq "LD_PRELOAD keeps a space list" "$other:$KASHIM_LIB" \
	"$(LD_PRELOAD="$other " "$KA_RUN" $PYTHON -c "$show_preload")"
expect_eq "LD_PRELOAD already holding kashim is left as it is" "$KASHIM_LIB $other" \
	"$(LD_PRELOAD="$KASHIM_LIB $other" "$KA_RUN" $PYTHON -c "$show_preload")"
expect_eq "nested ka-run adds it once" "$other:$KASHIM_LIB" \
	"$(LD_PRELOAD=$other "$KA_RUN" "$KA_RUN" -i 9 "$KA_RUN" $PYTHON -c "$show_preload")"
# A long list (more than 8 KiB) is kept whole.
long=$(printf "$other:%.0s" $(seq 600))
got=$(LD_PRELOAD=$long "$KA_RUN" $PYTHON -c "$show_preload")
expect_eq "a long LD_PRELOAD is kept whole (length, last entry)" \
	"$((${#long} + ${#KASHIM_LIB})) $KASHIM_LIB" "${#got} ${got##*:}"
# Another copy of libkashim.so is replaced: two copies cannot both work.
mkdir -p "$tmp/old"
cp "$KASHIM_LIB" "$tmp/old/libkashim.so"
expect_eq "another libkashim.so is replaced by this one" "$other:$KASHIM_LIB" \
	"$(LD_PRELOAD="$tmp/old/libkashim.so:$other" "$KA_RUN" $PYTHON -c "$show_preload")"

# ---- options reach the sockets ----------------------------------------
control=$($PYTHON -c "$SOCKOPTS")
check "control: no keepalive without ka-run" [ "${control%% *}" = False ]
expect_eq "options reach the socket" "True 31 7 4 12345" \
	"$("$KA_RUN" -i 31 -n 7 -k 4 -u 12345 $PYTHON -c "$SOCKOPTS")"
expect_eq "defaults without options" "True 60 10 5 0" "$("$KA_RUN" $PYTHON -c "$SOCKOPTS")"
expect_eq "user timeout auto" "True 20 5 2 30000" "$("$KA_RUN" -i 20 -n 5 -k 2 -u auto $PYTHON -c "$SOCKOPTS")"
expect_eq "--off leaves keepalive off" "$control" "$("$KA_RUN" --off -i 31 $PYTHON -c "$SOCKOPTS")"
expect_eq "options beat the environment" "True 32 10 5 0" \
	"$(KASHIM_IDLE=99 "$KA_RUN" -i 32 $PYTHON -c "$SOCKOPTS")"
expect_eq "control: the environment applies without the option" "True 99 10 5 0" \
	"$(KASHIM_IDLE=99 "$KA_RUN" $PYTHON -c "$SOCKOPTS")"
# With --override the program's own setsockopt(SO_KEEPALIVE, 0) is ignored.
turn_off='import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0)'
expect_eq "control: the program can turn keepalive off" False "$("$KA_RUN" $PYTHON -c "$turn_off")"
expect_eq "--override keeps it on" True "$("$KA_RUN" --override $PYTHON -c "$turn_off")"
# -d shows the shim's decisions on stderr; without it stderr stays clean.
"$KA_RUN" -d -i 33 $PYTHON -c "$SOCKOPTS" >/dev/null 2>"$tmp/err"
check "-d logs the shim's decisions to stderr" grep -q 'keepalive idle=33' "$tmp/err"
"$KA_RUN" -i 33 $PYTHON -c "$SOCKOPTS" >/dev/null 2>"$tmp/err"
check "control: nothing on stderr without -d" [ ! -s "$tmp/err" ]
"$KA_RUN" --log "$tmp/shim.log" -d -i 34 $PYTHON -c "$SOCKOPTS" >/dev/null 2>/dev/null
check "--log FILE gets the shim's messages" grep -q 'keepalive idle=34' "$tmp/shim.log"

# ---- a config file program section through -c --------------------------
sections_conf "$tmp/sections.conf" 5000
sed 's/python3\*/perl*/' "$tmp/sections.conf" >"$tmp/other-section.conf"
expect_eq "-c: the matching program section applies" "True 41 10 6 5000" \
	"$("$KA_RUN" -c "$tmp/sections.conf" $PYTHON -c "$SOCKOPTS")"
expect_eq "control: top level only when no section matches" "True 40 10 6 0" \
	"$("$KA_RUN" -c "$tmp/other-section.conf" $PYTHON -c "$SOCKOPTS")"
expect_eq "-c relative path works from another cwd" "True 41 10 6 5000" \
	"$(cd "$tmp" && "$KA_RUN" -c sections.conf sh -c "cd / && exec $PYTHON -c '$SOCKOPTS'")"
expect_eq "options beat the program section" "True 43 10 6 5000" \
	"$("$KA_RUN" -c "$tmp/sections.conf" -i 43 $PYTHON -c "$SOCKOPTS")"

# ---- finding the library ------------------------------------------------
mkdir -p "$tmp/alt"
cp "$KASHIM_LIB" "$tmp/alt/libkashim.so"
expect_eq "KASHIM_LIB chooses the library" "$tmp/alt/libkashim.so" \
	"$(KASHIM_LIB=$tmp/alt/libkashim.so "$KA_RUN" $PYTHON -c "$show_preload")"
KASHIM_LIB=$tmp/alt/nonexistent.so "$KA_RUN" true 2>"$tmp/err"
rc=$?
check "KASHIM_LIB missing: exit 2 naming it" eval '[ "$rc" = 2 ] && grep -q KASHIM_LIB "$tmp/err"'
mkdir -p "$tmp/a b"
cp "$KASHIM_LIB" "$tmp/a b/libkashim.so"
KASHIM_LIB="$tmp/a b/libkashim.so" "$KA_RUN" true 2>"$tmp/err"
rc=$?
check "a library path with a space is refused (LD_PRELOAD splits on it)" \
	eval '[ "$rc" = 2 ] && grep -q space "$tmp/err"'

# The installed layout: bin/ka-run finds ../lib/libkashim.so (and the config
# reader in ../lib/kashim/), with no build tree around.
mkdir -p "$tmp/inst/bin" "$tmp/inst/lib/kashim" "$tmp/links"
cp "$KA_RUN" "$tmp/inst/bin/ka-run"
cp "$KASHIM_LIB" "$tmp/inst/lib/libkashim.so"
cp "$KASHIM_ROOT/build/kashim/libkashim-conf.so" "$tmp/inst/lib/kashim/"
expect_eq "installed layout: finds ../lib" "$tmp/inst/lib/libkashim.so" \
	"$("$tmp/inst/bin/ka-run" $PYTHON -c "$show_preload")"
ln -s "$tmp/inst/bin/ka-run" "$tmp/links/ka-run"
expect_eq "through a symlink: finds the target's ../lib" "$tmp/inst/lib/libkashim.so" \
	"$("$tmp/links/ka-run" $PYTHON -c "$show_preload")"
expect_eq "installed layout: -c section applies (plugin beside the library)" "True 41 10 6 5000" \
	"$("$tmp/inst/bin/ka-run" -c "$tmp/sections.conf" $PYTHON -c "$SOCKOPTS")"
"$tmp/inst/bin/ka-run" -i 5 --check >/dev/null 2>&1
check "installed layout: --check works" [ $? = 0 ]
# make install builds a ka-run with the installed library's path compiled in
# (KASHIM_INSTALLED_LIB); mk/karun.mk builds one for this test whose path is
# build/tests/karun/installed/libkashim.so.
installed_run=$KASHIM_ROOT/build/tests/karun/ka-run-installed
installed_lib=$KASHIM_ROOT/build/tests/karun/installed/libkashim.so
mkdir -p "$tmp/elsewhere" "${installed_lib%/*}"
t_on_exit "rm -rf '${installed_lib%/*}'"
cp "$KASHIM_LIB" "$installed_lib"
cp "$installed_run" "$tmp/elsewhere/ka-run"
check "the build-tree ka-run has no installed path compiled in" \
	eval '! grep -qaF /usr/local/lib/libkashim.so "$KA_RUN" && ! grep -qaF "$installed_lib" "$KA_RUN"'
expect_eq "KASHIM_INSTALLED_LIB is used when set" "$installed_lib" \
	"$("$tmp/elsewhere/ka-run" $PYTHON -c "$show_preload")"
expect_eq "KASHIM_LIB beats KASHIM_INSTALLED_LIB" "$KASHIM_LIB" \
	"$(KASHIM_LIB=$KASHIM_LIB "$tmp/elsewhere/ka-run" $PYTHON -c "$show_preload")"
# A staged (DESTDIR) or moved tree: the compiled-in path is missing, the
# library beside ka-run is used.
rm -f "$installed_lib"
cp "$installed_run" "$tmp/inst/bin/ka-run"
expect_eq "KASHIM_INSTALLED_LIB missing: falls back to ../lib" "$tmp/inst/lib/libkashim.so" \
	"$("$tmp/inst/bin/ka-run" $PYTHON -c "$show_preload")"
rm "$tmp/inst/lib/libkashim.so"
"$tmp/inst/bin/ka-run" true 2>"$tmp/err"
rc=$?
check "no library found: exit 2 with a hint" eval '[ "$rc" = 2 ] && grep -q KASHIM_LIB "$tmp/err" && grep -qF "$installed_lib" "$tmp/err"'

finish
