# SPDX-License-Identifier: MIT
# systemd.t - the systemd examples in scripts/systemd/ are valid units, and
# kashim configures the connections a socket-activated service accepts on
# the listening socket systemd hands it (LISTEN_FDS), which kashim did not
# create. systemd is not PID 1 here: systemd-analyze verify checks the
# units, and systemd-socket-activate plays systemd's part (it makes the
# listening socket itself, without the shim, like PID 1 would).
source "$(dirname "$0")/../lib/common.sh"
EXAMPLES=$KASHIM_ROOT/scripts/systemd

t_tmpdir tmp
server_pid=
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
t_on_exit cleanup

# --- the example units and drop-in ------------------------------------------
if ! command -v systemd-analyze >/dev/null; then
	skip "example units pass systemd-analyze verify" "systemd-analyze not installed"
else
	units=$tmp/units
	mkdir -p "$units/keepalive-echo.service.d"
	cp "$EXAMPLES/keepalive-echo.socket" "$units/"
	# The unit names the installed server; point it at this tree's copy.
	sed "s|/usr/local/share/doc/kashim/systemd/|$EXAMPLES/|" "$EXAMPLES/keepalive-echo.service" \
		>"$units/keepalive-echo.service"
	cp "$EXAMPLES/kashim.conf" "$units/keepalive-echo.service.d/"
	# verify exits 0 on most mistakes and only warns: stderr must be empty.
	err=$(cd "$units" && systemd-analyze verify keepalive-echo.socket keepalive-echo.service 2>&1)
	expect_eq "example socket, service and drop-in verify with nothing on stderr" "" "$err"
	# Control: the same check does see a mistake in the drop-in.
	echo "Enviroment=KASHIM_IDLE=5" >>"$units/keepalive-echo.service.d/kashim.conf"
	err=$(cd "$units" && systemd-analyze verify keepalive-echo.service 2>&1)
	check "control: a misspelt key in the drop-in is reported" grep -q "Enviroment" <<<"$err"
fi

# --- socket activation -------------------------------------------------------
# first_line PORT: connect and print the server's first line (its report on
# the accepted socket). The client itself never runs under the shim.
first_line() {
	env -u LD_PRELOAD "$PYTHON" - "$1" <<-'EOF'
		import socket, sys
		c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
		print(c.makefile().readline().strip())
	EOF
}

# activated PORT [-E VAR=VALUE...]: start keepalive-echo.py under
# systemd-socket-activate on PORT, with the given environment for the
# service only, connect once, print the report, stop the server.
activated() {
	local port=$1 _
	shift
	(
		unset LD_PRELOAD
		if [ -n "${ACTIVATOR:-}" ]; then
			"$ACTIVATOR" -l "127.0.0.1:$port" "$@" "$PYTHON" "$EXAMPLES/keepalive-echo.py"
		else
			exec systemd-socket-activate -l "127.0.0.1:$port" "$@" "$PYTHON" "$EXAMPLES/keepalive-echo.py"
		fi
	) 2>"$tmp/activate.log" &
	server_pid=$!
	for _ in $(seq 100); do
		ss -Hltn "sport = :$port" | grep -q LISTEN && break
		sleep 0.05
	done
	first_line "$port" 2>>"$tmp/activate.log" || echo "no answer: $(cat "$tmp/activate.log")"
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
}

# keepalive_unit -l 127.0.0.1:PORT [-E VAR=VALUE]... COMMAND...: what PID 1
# does for a socket unit with KeepAlive=yes, KeepAliveTimeSec=77,
# KeepAliveIntervalSec=10, KeepAliveProbes=5: listen, set those options on
# the listener, then exec COMMAND with it as fd 3 (LISTEN_FDS=1).
keepalive_unit() {
	exec "$PYTHON" - "$@" <<-'EOF'
		import os, socket, sys
		args = sys.argv[1:]
		host, port = args[1].rsplit(":", 1)
		env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
		i = 2
		while args[i] == "-E":
		    name, value = args[i + 1].split("=", 1)
		    env[name] = value
		    i += 2
		s = socket.socket()
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 77)
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
		s.bind((host, int(port)))
		s.listen()
		if s.fileno() != 3:
		    os.dup2(s.fileno(), 3)
		os.set_inheritable(3, True)
		env.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
		os.execve(args[i], args[i:], env)
	EOF
}

# drop_in_env FILE: the drop-in's Environment= assignments as -E options,
# with the installed library path replaced by this build's.
drop_in_env() {
	sed -n 's/^Environment=//p' "$1" | tr ' ' '\n' |
		sed "s|^LD_PRELOAD=.*|LD_PRELOAD=$KASHIM_LIB|" | sed 's/^/-E\n/'
}

if ! command -v systemd-socket-activate >/dev/null; then
	skip "socket-activated service under kashim" "systemd-socket-activate not installed"
else
	port=$(t_free_port)
	expect_eq "control: accepted connection of an activated service without kashim" \
		"keepalive=0" "$(activated "$port" | cut -d' ' -f1)"

	port=$(t_free_port)
	expect_eq "accepted connection of an activated service under kashim" \
		"keepalive=1 idle=41 interval=7 count=3 user_timeout=12000" \
		"$(activated "$port" -E LD_PRELOAD="$KASHIM_LIB" -E KASHIM_IDLE=41 -E KASHIM_INTERVAL=7 \
			-E KASHIM_COUNT=3 -E KASHIM_USER_TIMEOUT=12000)"

	# A socket unit with KeepAlive=yes, KeepAliveTimeSec=77 (systemd sets
	# them on the listener): with override = false kashim keeps them.
	port=$(t_free_port)
	expect_eq "a listener that already has keepalive keeps its own values (override off)" \
		"keepalive=1 idle=77 interval=10 count=5 user_timeout=0" \
		"$(ACTIVATOR=keepalive_unit activated "$port" -E LD_PRELOAD="$KASHIM_LIB" -E KASHIM_IDLE=41)"

	port=$(t_free_port)
	expect_eq "with override on, kashim's values replace the listener's" \
		"keepalive=1 idle=41 interval=10 count=5 user_timeout=0" \
		"$(ACTIVATOR=keepalive_unit activated "$port" -E LD_PRELOAD="$KASHIM_LIB" -E KASHIM_IDLE=41 \
			-E KASHIM_OVERRIDE=on)"

	# The example drop-in's own environment, as systemd would apply it.
	mapfile -t opts < <(drop_in_env "$EXAMPLES/kashim.conf")
	port=$(t_free_port)
	expect_eq "the example drop-in's environment configures accepted connections" \
		"keepalive=1 idle=60 interval=10 count=5 user_timeout=0" "$(activated "$port" "${opts[@]}")"
fi
finish
