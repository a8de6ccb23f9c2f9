# SPDX-License-Identifier: MIT
# redis.t - redis-server sets keepalive on every client socket it accepts
# (tcp-keepalive 300: idle 300, interval 100, count 3). With override=false
# the shim leaves a program's own choice alone, so redis keeps its values;
# with override=true redis's setsockopt() calls are ignored and ours stay.
# Each shimmed server's listener (which redis never configures) shows the
# shim was active. Clients: redis-cli BLPOP on a key that never fills, an
# idle connection; redis-cli (hiredis) sets keepalive 15/5/3 itself.
# Override means the same in a file with destination/listen rules: given
# by a listen rule, the file's top level or KASHIM_OVERRIDE, it keeps ours
# on the sockets redis accepts.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need redis redis-server redis-cli || finish

# start_redis VAR PREFIX... -- ARGS...: a redis-server on a free loopback
# port, in its own directory, never saving; sets VAR and VAR_port.
start_redis() {
	local var=$1 port prefix=()
	shift
	while [ "$1" != -- ]; do prefix+=("$1"); shift; done
	shift
	port=$(t_free_port)
	mkdir -p "$H_TMP/$var"
	h_start "$var" "${prefix[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --dir "$H_TMP/$var" "$@"
	printf -v "${var}_port" %s "$port"
	h_wait_listen "redis-$var-listens" "$var" "$port"
}

REDIS_OWN="on 300 100 3 0"
# A rule no connection here matches, so that the file has rules.
echo 'destination "*:1" { idle = 11 }' >"$H_TMP/rules.conf"
printf '%s\n' 'override = true' 'destination "*:1" { idle = 11 }' >"$H_TMP/file-override.conf"
printf '%s\n' 'listen "127.0.0.1" { override = true }' >"$H_TMP/listen-override.conf"
# name, KASHIM_OVERRIDE (none: no shim; unset), extra redis args, expected
# listener, expected client socket, config file (default: empty)
while IFS='|' read -r name shim args listener accepted conf; do
	prefix=()
	[ "$shim" != none ] && prefix=("${SHIM[@]}")
	[ "$shim" != none ] && [ "$shim" != unset ] && prefix+=(KASHIM_OVERRIDE="$shim")
	[ -n "$conf" ] && prefix+=(KASHIM_CONFIG="$H_TMP/$conf")
	# shellcheck disable=SC2086
	start_redis "$name" "${prefix[@]}" -- $args || continue
	port_var=${name}_port
	h_start "cli_$name" redis-cli -p "${!port_var}" BLPOP kashim:never 0
	h_expect "redis-$name-accepted" "$name" "$accepted" state=ESTABLISHED local="${!port_var}"
	h_expect "redis-$name-listener" "$name" "$listener" state=LISTEN local="${!port_var}"
done <<EOF2
control|none||off|$REDIS_OWN
override_false|false||$H_ON|$REDIS_OWN
override_true|true||$H_ON|$H_ON
no_keepalive_control|none|--tcp-keepalive 0|off|off
no_keepalive_shimmed|false|--tcp-keepalive 0|$H_ON|$H_ON
rules_override_false|false||$H_ON|$REDIS_OWN|rules.conf
rules_env_override|true||$H_ON|$H_ON|rules.conf
rules_file_override|unset||$H_ON|$H_ON|file-override.conf
rules_listen_override|unset||$H_ON|$H_ON|listen-override.conf
EOF2

# redis-cli as the client, against the control server.
h_start cli_control_own redis-cli -p "$control_port" BLPOP kashim:never 0
h_start cli_shim_false "${SHIM[@]}" KASHIM_OVERRIDE=false redis-cli -p "$control_port" BLPOP kashim:never 0
h_start cli_shim_true "${SHIM[@]}" KASHIM_OVERRIDE=true redis-cli -p "$control_port" BLPOP kashim:never 0
h_expect redis-cli-control cli_control_own "on 15 5 3 0" state=ESTABLISHED remote="$control_port"
h_expect redis-cli-override-false cli_shim_false "on 15 5 3 0" state=ESTABLISHED remote="$control_port"
h_expect redis-cli-override-true cli_shim_true "$H_ON" state=ESTABLISHED remote="$control_port"
finish
