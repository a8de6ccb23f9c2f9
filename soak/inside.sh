#!/bin/bash
# SPDX-License-Identifier: MIT
# inside.sh SECONDS - the first process of a soak container (its own PID,
# network and mount namespaces, loopback only). Configures and starts the
# daemons: rsyslog (/dev/log and TCP 127.0.0.1:514), sshd (key login),
# redis, PostgreSQL, nginx (127.0.0.1:8080 proxying to its upstream server
# on 127.0.0.1:8081, through a keep-alive pool and per request), cron (a job every minute that talks to redis), the
# fd-closing daemon (closer.py), and long-lived idle connections to each
# (redis-cli, psql, ssh), whose sockets are read at the end. Writes
# /run/soak/ready (or /run/soak/failed with why) and then only reaps.
# Whether kashim is loaded is decided outside: /etc/ld.so.preload is in
# the kashim container's root and not in the control's.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
SECONDS_TOTAL=$1
mkdir -p /run/soak /run/sshd /run/postgresql /var/log/nginx /root/.ssh
chown postgres:postgres /run/postgresql
failed() { echo "$*" >/run/soak/failed; echo "inside: $*" >&2; sleep infinity; }

# await PORT: a listener on 127.0.0.1:PORT within 30 s.
await() {
	for _ in $(seq 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	failed "nothing listens on 127.0.0.1:$1"
}

# The compiled form of /etc/keepalive.conf, when this kashim has one.
if command -v kashim-compile >/dev/null; then
	kashim-compile /etc/keepalive.conf || failed "kashim-compile /etc/keepalive.conf: exit $?"
fi

# rsyslog: no kernel log in a container; TCP input on loopback.
sed -i -e '/imklog/s/^/#/' /etc/rsyslog.conf
cat >/etc/rsyslog.d/soak.conf <<'CONF'
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="514")
CONF
rsyslogd || failed "rsyslogd: exit $?"

cat >/etc/ssh/sshd_config.d/soak.conf <<'CONF'
UsePAM no
ListenAddress 127.0.0.1
ListenAddress ::1
CONF
ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519 <<<y >/dev/null
cp /root/.ssh/id_ed25519.pub /root/.ssh/authorized_keys
/usr/sbin/sshd || failed "sshd: exit $?"

redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes \
	--logfile /var/log/redis-soak.log --maxclients 1000 || failed "redis-server: exit $?"

pg=$(ls /etc/postgresql)
sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "/etc/postgresql/$pg/main/pg_hba.conf"
pg_ctlcluster "$pg" main start || failed "pg_ctlcluster $pg main start: exit $?"

# "/" reuses a pool of upstream connections (they stay open, so their
# sockets are read); "/new" connects to the upstream for every request.
cat >/etc/nginx/sites-enabled/default <<'CONF'
upstream pool {
	server 127.0.0.1:8081;
	keepalive 4;
}
server {
	listen 127.0.0.1:8080;
	access_log off;
	location / {
		proxy_pass http://pool;
		proxy_http_version 1.1;
		proxy_set_header Connection "";
	}
	location /new { proxy_pass http://127.0.0.1:8081; }
}
server {
	listen 127.0.0.1:8081;
	access_log off;
	location / { return 200 "upstream\n"; }
}
CONF
sed -i 's/^worker_processes.*/worker_processes 2;/' /etc/nginx/nginx.conf
nginx || failed "nginx: exit $?"

echo '* * * * * root redis-cli -h 127.0.0.1 ping >>/var/log/soak-cron.log 2>&1' >/etc/cron.d/soak
cron || failed "cron: exit $?"

for p in 22 514 5432 6379 8080 8081; do await $p; done
/soak/closer.py /run/soak/closer.status "$SECONDS_TOTAL"

su postgres -c 'pgbench -q -i -s 2 -h 127.0.0.1 postgres' >/var/log/pgbench-init.log 2>&1 ||
	failed "pgbench -i: exit $?"
ssh -n -o BatchMode=yes -o StrictHostKeyChecking=no root@127.0.0.1 true >/var/log/ssh-first.log 2>&1 ||
	failed "ssh login: exit $?"

# Idle connections held for the whole run.
redis-cli -h 127.0.0.1 subscribe soak >/dev/null 2>&1 &
psql -h 127.0.0.1 -U postgres -c "select pg_sleep($SECONDS_TOTAL)" postgres >/dev/null 2>&1 &
ssh -n -o BatchMode=yes root@127.0.0.1 sleep "$SECONDS_TOTAL" >/dev/null 2>&1 &
logger -T -n 127.0.0.1 -P 514 -t soak "soak container up" 
touch /run/soak/ready
while :; do wait -n 2>/dev/null || sleep 1; done
