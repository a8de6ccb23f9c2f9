# ka-run's helper: kashim-check validates keepalive.conf and the environment
# with the shim's own config code (ka-run --check), and inspects executables
# the preload cannot reach (static, Go, set-ID). It lives beside the config
# plugin (build/kashim/, installed to $(LIBDIR)/kashim/), where ka-run looks
# for it relative to the libkashim.so it preloads.
KASHIM_CHECK := $(B)/kashim/kashim-check
KASHIM_CHECK_OBJ := $(B)/obj/tools/kashim-check.o $(B)/obj/tools/kashim-inspect.o \
                    $(B)/obj/config/conffile.o $(B)/obj/config/rules.o $(B)/obj/config/settings.o

$(B)/obj/tools/%.o: tools/%.c $(wildcard tools/*.h config/*.h) | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CONFUSE_CFLAGS) $(CFLAGS) -c $< -o $@

$(KASHIM_CHECK): $(KASHIM_CHECK_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CONFUSE_LIBS)

all: $(KASHIM_CHECK)
CHECK_DEPS += $(KASHIM_CHECK)
