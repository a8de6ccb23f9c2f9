# SPDX-License-Identifier: MIT
# make soak: kashim in /etc/ld.so.preload of a container of real daemons
# under bounded load, against a control container (soak/soak.sh). Not part
# of make check: it needs root, debootstrap and a few minutes.
# SOAK_SECONDS=N lengthens each run (default 90 s of load).
.PHONY: soak
soak: all $(B)/ka-status
	B=$(B) soak/soak.sh
