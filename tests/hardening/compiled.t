#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# compiled.t - keepalive.conf reaches programs only in its compiled form
# (kashim-compile, FILE.cache), read with system calls at the first TCP
# socket; no host process parses it, loads the config plugin or libconfuse,
# or logs a line per process for a problem in the file.
#
# KASHIM_CONFIG=FILE (any user): a fresh FILE.cache is used with no plugin
# or libconfuse opened (strace); control: the same kind of file never
# compiled is parsed at load (the plugin opens before the first socket),
# and so is one whose form is stale, damaged, truncated or foreign.
# The system's file (root: a private mount namespace with an overlay over
# /etc, the real /etc untouched): never compiled -> defaults, silently;
# compiled -> its values and program sections, no plugin; changed since ->
# the last compiled form; a bad rule -> kashim-compile exits 2 with
# file:line and the form in force stays (a `keepalive = false` section
# too); damaged, truncated or foreign -> defaults; no log line in any of
# those cases, one per process under KASHIM_DEBUG only; set-user-ID ->
# only a root-owned form writable by no one else.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/sysconf.sh"

COMPILE=$KASHIM_ROOT/build/kashim-compile
PRELOAD=$KASHIM_ROOT/scripts/kashim-preload
PROBE=$HX/hx-probe
t_require compiled "$PROBE, $COMPILE or the shim is not built (make check builds them)" \
	"$PROBE" "$HX_LIB" "$COMPILE"
if ! command -v strace >/dev/null; then
	fail compiled "strace is missing (scripts/install-deps test installs it)"
	finish
fi

# probe NAME [VAR=VALUE...]: hx-probe run as argv[0] NAME with the shim and
# the variables; prints "keepalive=K idle=I interval=N".
probe() {
	local name=$1
	shift
	env "$@" LD_PRELOAD="$HX_PRELOAD" bash -c 'exec -a "$0" "$1"' "$name" "$PROBE" 2>&1 |
		sed -n 's/.* \(keepalive=[0-9]* idle=[0-9]* interval=[0-9]*\).*/\1/p'
}

# traced NAME [VAR=VALUE...]: probe under strace; prints, in the order they
# happened after the last execve (bash's exec of hx-probe), the files opened that matter (the
# plugin, libconfuse, a FILE.cache) and the socket() call.
traced() {
	local name=$1 out=$HX_TMP/strace.$RANDOM
	shift
	env "$@" LD_PRELOAD="$HX_PRELOAD" strace -f -qq -e trace=execve,openat,open,socket -o "$out" \
		bash -c 'exec -a "$0" "$1"' "$name" "$PROBE" >/dev/null 2>&1
	awk '/ execve\(/ { n = 0 } { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }' "$out" |
		grep -Eo 'libkashim-conf\.so|libconfuse[^"]*|[^"/]*conf\.cache|socket\(AF_INET' |
		sed 's/socket(AF_INET/socket/' | tr '\n' ' '
}

# flip FILE OFFSET: change one byte in place (size and inode kept).
flip() { printf '\x5a' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# ---- KASHIM_CONFIG -----------------------------------------------------------
user_cases() {
	local D=$HX_TMP/user at_load
	mkdir -p "$D"
	cat >"$D/a.conf" <<-'EOF'
	idle = 23
	program "kashim-off" {
		keepalive = false
	}
	program "hx-*" {
		interval = 4
	}
	EOF
	cat >"$D/b.conf" <<-'EOF'
	idle = 24
	EOF
	"$COMPILE" "$D/a.conf" >/dev/null
	check "KASHIM_CONFIG: kashim-compile wrote FILE.cache" test -s "$D/a.conf.cache"
	expect_eq "KASHIM_CONFIG compiled: its values and the program section matched by kashim's glob" \
		"keepalive=1 idle=23 interval=4" "$(probe hx-probe KASHIM_CONFIG="$D/a.conf")"
	expect_eq "KASHIM_CONFIG compiled: a keepalive = false section matched by argv[0]" \
		"keepalive=0 idle=0 interval=0" "$(probe kashim-off KASHIM_CONFIG="$D/a.conf" | sed 's/idle=[0-9]*/idle=0/; s/interval=[0-9]*/interval=0/')"
	expect_eq "KASHIM_CONFIG compiled: the form is read, no plugin and no libconfuse is opened" \
		"a.conf.cache socket " "$(traced hx-probe KASHIM_CONFIG="$D/a.conf")"
	expect_eq "control: KASHIM_CONFIG never compiled is parsed at load, before the first socket" \
		"24" "$(probe hx-probe KASHIM_CONFIG="$D/b.conf" | sed 's/.*idle=\([0-9]*\).*/\1/')"
	expect_eq "control: ...by the plugin and libconfuse, opened at load" \
		"b.conf.cache libkashim-conf.so libconfuse.so.2 socket " "$(traced hx-probe KASHIM_CONFIG="$D/b.conf")"

	# A form that cannot be used: the text is parsed at load instead (values of
	# the text, the plugin opened before the socket).
	cp "$D/a.conf.cache" "$D/good.cache"
	at_load="a.conf.cache libkashim-conf.so libconfuse.so.2 socket "
	flip "$D/a.conf.cache" 600
	expect_eq "KASHIM_CONFIG damaged form (one byte changed): parsed at load" \
		"keepalive=1 idle=23 interval=4 | $at_load" \
		"$(probe hx-probe KASHIM_CONFIG="$D/a.conf") | $(traced hx-probe KASHIM_CONFIG="$D/a.conf")"
	head -c 1000 "$D/good.cache" >"$D/a.conf.cache"
	expect_eq "KASHIM_CONFIG truncated form: parsed at load" "keepalive=1 idle=23 interval=4 | $at_load" \
		"$(probe hx-probe KASHIM_CONFIG="$D/a.conf") | $(traced hx-probe KASHIM_CONFIG="$D/a.conf")"
	head -c 4096 /dev/urandom >"$D/a.conf.cache"
	expect_eq "KASHIM_CONFIG foreign form (random bytes): parsed at load" "keepalive=1 idle=23 interval=4 | $at_load" \
		"$(probe hx-probe KASHIM_CONFIG="$D/a.conf") | $(traced hx-probe KASHIM_CONFIG="$D/a.conf")"
	cp "$D/good.cache" "$D/a.conf.cache"
	flip "$D/a.conf.cache" 8 # the format version
	expect_eq "KASHIM_CONFIG form of another format version: parsed at load" "keepalive=1 idle=23 interval=4 | $at_load" \
		"$(probe hx-probe KASHIM_CONFIG="$D/a.conf") | $(traced hx-probe KASHIM_CONFIG="$D/a.conf")"
	cp "$D/good.cache" "$D/a.conf.cache"
	sed -i 's/^idle = 23/idle = 25/' "$D/a.conf"
	expect_eq "KASHIM_CONFIG changed since compiled: the text is parsed at load" \
		"keepalive=1 idle=25 interval=4 | $at_load" \
		"$(probe hx-probe KASHIM_CONFIG="$D/a.conf") | $(traced hx-probe KASHIM_CONFIG="$D/a.conf")"
}

# ---- the system's file -------------------------------------------------------
# inner TMP OUTER_NS: in a private mount namespace, with an overlay over /etc.
inner() {
	local tmp=$1
	sysconf_overlay "$HX_LIB" "$tmp" "$2"
	rm -f "$SYSCONF" "$SYSCONF.cache"
	system_file_cases "$tmp"
	setuid_cases "$tmp"
	finish
}

# logged VAR=VALUE...: run 20 probes with KASHIM_LOG to a fresh file; print
# its number of lines.
logged() {
	local log=$HX_TMP/log.$RANDOM
	for _ in $(seq 20); do probe hx-probe KASHIM_LOG="$log" "$@" >/dev/null; done
	[ -e "$log" ] && wc -l <"$log" || echo 0
}

system_file_cases() {
	local tmp=$1 err rc
	cat >"$SYSCONF" <<-'EOF'
		idle = 41
		program "kashim-off" {
			keepalive = false
		}
	EOF
	expect_eq "system file never compiled: defaults (a host never parses it)" \
		"keepalive=1 idle=60 interval=10" "$(probe hx-probe)"
	expect_eq "system file never compiled: no log line in 20 processes" 0 "$(logged)"
	check "system file never compiled: under KASHIM_DEBUG a process says so" \
		grep -q "keepalive.conf.cache: missing" <<<"$(probe_log KASHIM_DEBUG=1)"

	"$COMPILE" >/dev/null
	expect_eq "system file compiled (kashim-compile, no argument): its values" \
		"keepalive=1 idle=41 interval=10" "$(probe hx-probe)"
	expect_eq "system file compiled: its keepalive = false section" "keepalive=0" \
		"$(probe kashim-off | cut -d' ' -f1)"
	expect_eq "system file compiled: read at the first socket, no plugin, no libconfuse" \
		"socket keepalive.conf.cache " "$(traced hx-probe)"
	expect_eq "system file compiled: mode 0644, owned by root" "644 0" "$(stat -c '%a %u' "$SYSCONF.cache")"
	cp "$SYSCONF.cache" "$tmp/good.cache"

	check "ka-run --check: the compiled form is up to date" \
		grep -q "^compiled: $SYSCONF.cache: up to date" <<<"$("$KA_RUN" --check 2>&1)"
	sed -i 's/^idle = 41/idle = 42/' "$SYSCONF"
	expect_eq "system file changed since compiled: the last compiled form stays in force" \
		"keepalive=1 idle=41 interval=10" "$(probe hx-probe)"
	check "ka-run --check says the file changed since compiled: run kashim-preload reload" \
		grep -q "^compiled: $SYSCONF.cache: changed since compiled: run kashim-preload reload" \
		<<<"$("$KA_RUN" --check 2>&1)"
	check "kashim-preload status says so too" grep -q "changed since compiled: run kashim-preload reload" \
		<<<"$("$PRELOAD" status 2>&1)"
	expect_eq "system file changed since compiled: no log line" 0 "$(logged)"
	check "system file changed since compiled: under KASHIM_DEBUG it says so" \
		grep -q "changed since compiled" <<<"$(probe_log KASHIM_DEBUG=1)"

	cat >"$SYSCONF" <<-'EOF'
		idle = 43
		program "kashim-off" {
			keepalive = false
		}
		destination "10.0.0.0/33" {
			idle = 5
		}
	EOF
	err=$("$COMPILE" 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "a bad rule: kashim-compile exits 2" 2 "$rc"
	check "a bad rule: kashim-compile names file:line" grep -q "^$SYSCONF:5: destination" <<<"$err"
	check "a bad rule: the last good form is left in place" cmp -s "$tmp/good.cache" "$SYSCONF.cache"
	expect_eq "a bad rule: programs keep the last good values" "keepalive=1 idle=41 interval=10" "$(probe hx-probe)"
	expect_eq "a bad rule: the keepalive = false section stays in force" "keepalive=0" \
		"$(probe kashim-off | cut -d' ' -f1)"
	expect_eq "a bad rule: no log line in 20 processes" 0 "$(logged)"
	err=$("$COMPILE" --check 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "a bad rule: kashim-compile --check exits 2 too" 2 "$rc"
	err=$("$PRELOAD" reload 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "a bad rule: kashim-preload reload exits 2 with file:line" "2 yes" \
		"$rc $(grep -q "^$SYSCONF:5: destination" <<<"$err" && echo yes)"
	check "a bad rule: kashim-preload reload leaves the last good form" cmp -s "$tmp/good.cache" "$SYSCONF.cache"
	err=$("$PRELOAD" add "$HX_LIB" 2>&1 >/dev/null) && rc=0 || rc=$?
	expect_eq "a bad rule: kashim-preload add refuses (exit 1), ld.so.preload not written" "1 absent" \
		"$rc $([ -e /etc/ld.so.preload ] && echo present || echo absent)"
	sed -i '/destination/,$d' "$SYSCONF"
	"$PRELOAD" reload >/dev/null
	expect_eq "fixed and reloaded (kashim-preload reload): the new values" "keepalive=1 idle=43 interval=10" \
		"$(probe hx-probe)"

	damaged_cases "$tmp"
}

# probe_log VAR=VALUE...: the log lines of one probe.
probe_log() {
	local log=$HX_TMP/one.$RANDOM
	probe hx-probe KASHIM_LOG="$log" "$@" >/dev/null
	cat "$log" 2>/dev/null
}

damaged_cases() {
	local tmp=$1 what
	printf 'idle = 44\n' >"$SYSCONF"
	"$COMPILE" >/dev/null
	cp "$SYSCONF.cache" "$tmp/good.cache"
	expect_eq "control: a fresh form gives its values" "keepalive=1 idle=44 interval=10" "$(probe hx-probe)"
	for what in damaged truncated foreign empty; do
		case $what in
		damaged) cp "$tmp/good.cache" "$SYSCONF.cache" && flip "$SYSCONF.cache" 300 ;;
		truncated) head -c 200 "$tmp/good.cache" >"$SYSCONF.cache" ;;
		foreign) head -c 4096 /dev/urandom >"$SYSCONF.cache" ;;
		empty) : >"$SYSCONF.cache" ;;
		esac
		expect_eq "system form $what: defaults" "keepalive=1 idle=60 interval=10" "$(probe hx-probe)"
		expect_eq "system form $what: no log line in 20 processes" 0 "$(logged)"
		expect_eq "system form $what: one line per process under KASHIM_DEBUG" 1 \
			"$(probe_log KASHIM_DEBUG=1 | grep -c "keepalive.conf.cache:")"
	done
	cp "$tmp/good.cache" "$SYSCONF.cache"
	mv "$SYSCONF" "$tmp/moved.conf"
	expect_eq "system file removed, its form left: defaults" "keepalive=1 idle=60 interval=10" "$(probe hx-probe)"
	mv "$tmp/moved.conf" "$SYSCONF"
}

# Secure-execution: a set-user-ID root copy of hx-probe, run as nobody
# through /etc/ld.so.preload (LD_PRELOAD does not reach it).
setuid_cases() {
	local tmp=$1 S=$1/su AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	mkdir -p "$S" && chmod 755 "$tmp" "$S"
	cp "$HX_LIB" "$S/libkashim.so" && chmod 755 "$S/libkashim.so"
	cp "$PROBE" "$S/probe-setuid" && chown root:root "$S/probe-setuid" && chmod 4755 "$S/probe-setuid"
	echo "${KASHIM_PRELOAD_FIRST:-} $S/libkashim.so" >/etc/ld.so.preload
	printf 'idle = 47\n' >"$SYSCONF" && chmod 644 "$SYSCONF"
	"$COMPILE" >/dev/null
	expect_eq "setuid: a root-owned form writable by root only is used" "secure=1 keepalive=1 idle=47" \
		"$($AS_NOBODY "$S/probe-setuid" | cut -d' ' -f1-3)"
	chmod 666 "$SYSCONF.cache"
	expect_eq "setuid: a form writable by others is not (defaults)" "secure=1 keepalive=1 idle=60" \
		"$($AS_NOBODY "$S/probe-setuid" | cut -d' ' -f1-3)"
	expect_eq "setuid control: the same form reaches a program that is not set-user-ID" \
		"keepalive=1 idle=47 interval=10" "$(probe hx-probe)"
	chmod 644 "$SYSCONF.cache" && chown 65534 "$SYSCONF.cache"
	expect_eq "setuid: a form not owned by root is not (defaults)" "secure=1 keepalive=1 idle=60" \
		"$($AS_NOBODY "$S/probe-setuid" | cut -d' ' -f1-3)"
	chown 0 "$SYSCONF.cache"
	printf 'idle = 48\n' >"$tmp/user.conf" && chmod 644 "$tmp/user.conf"
	"$COMPILE" "$tmp/user.conf" >/dev/null
	expect_eq "setuid: KASHIM_CONFIG's compiled form is ignored, the system's applies" \
		"secure=1 keepalive=1 idle=47" \
		"$(env KASHIM_CONFIG="$tmp/user.conf" $AS_NOBODY "$S/probe-setuid" | cut -d' ' -f1-3)"
	rm -f /etc/ld.so.preload
}

if [ "${1:-}" = inner ]; then
	inner "$2" "$3"
fi
user_cases
if ! need_root; then
	skip "compiled: the system's file" "needs root for unshare -m, mount and set-user-ID"
	finish
fi
real_before=$(for f in /etc/ld.so.preload /etc/keepalive.conf /etc/keepalive.conf.cache; do
	[ -e "$f" ] && sha256sum "$f" || echo "$f absent"; done)
t_nested unshare -m --propagation private bash "$0" inner "$HX_TMP" "$(readlink /proc/self/ns/mnt)"
rc=$?
[ "$rc" = 0 ] || [ "$T_FAILURES" -gt 0 ] || fail "inner part" "exited $rc"
expect_eq "the real /etc is untouched" "$real_before" "$(for f in /etc/ld.so.preload /etc/keepalive.conf /etc/keepalive.conf.cache; do
	[ -e "$f" ] && sha256sum "$f" || echo "$f absent"; done)"
finish
