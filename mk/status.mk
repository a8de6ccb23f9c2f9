# SPDX-License-Identifier: MIT
# status.mk - ka-status (status/*.c) and `make demo` (scripts/demo).
# ka-status reads the keepalive settings of live sockets from outside a
# process; the stock-program tests (tests/programs/*.t) use it to check real
# programs, so `make check` needs it built.

STATUS_SRC := status/main.c status/sockets.c status/output.c status/table.c status/audit.c \
              status/array.c status/kernel.c status/procs.c status/apply.c status/prometheus.c
STATUS_OBJ := $(STATUS_SRC:%.c=$(B)/obj/%.o)
# --apply decides as the shim does, with config/'s own reader and matcher.
STATUS_CONFIG_OBJ := $(B)/obj/config/conffile.o $(B)/obj/config/glob.o $(B)/obj/config/rules.o \
                     $(B)/obj/config/settings.o

all: $(B)/ka-status
CHECK_DEPS += $(B)/ka-status

$(STATUS_OBJ): status/ka_status.h bpf/kashim_bpf.h

$(B)/ka-status: $(STATUS_OBJ) $(STATUS_CONFIG_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(CONFUSE_LIBS)

# The README's first command: real programs under ka-run beside the same
# programs without kashim, shown with ka-status. Needs socat.
.PHONY: demo
demo: all $(B)/ka-status | $(B)/.deps-test
	@scripts/demo
