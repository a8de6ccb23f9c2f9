# SPDX-License-Identifier: MIT
# install.mk - `make install` and `make uninstall`.
#
# Honours PREFIX, DESTDIR, BINDIR, LIBDIR, MANDIR, DOCDIR and SYSCONFDIR.
# What goes where:
#   $(LIBDIR)/libkashim.so                the shim
#   $(LIBDIR)/kashim/libkashim-conf.so    its config reader (found beside it)
#   $(BINDIR)/ka-run                      built with the installed library's path
#   $(BINDIR)/kashim-preload              with the installed library's path
#   $(BINDIR)/ka-status
#   $(MANDIR)/man{1,5,7,8}/...            the man pages
#   $(DOCDIR)/...                         README, doc/*.md, keepalive.conf.example, systemd examples
#   $(SYSCONFDIR)/keepalive.conf.example   (KASHIM_SYSCONF_EXAMPLE)
# libkashim(7) gets the installed paths in place of /usr/local/lib and
# /etc/keepalive.conf, as the scripts do.
# Install never creates or overwrites $(SYSCONFDIR)/keepalive.conf (yours to
# write) and never touches /etc/ld.so.preload (scripts/kashim-preload does,
# when asked). It records the directories it had to create in
# $(DOCDIR)/installed-dirs, so that uninstall removes exactly the files it
# installed and, when empty, exactly those directories.

KASHIM_MAN1 := man/ka-run.1 man/ka-status.1
KASHIM_MAN5 := man/keepalive.conf.5
KASHIM_MAN7 := man/libkashim.7
KASHIM_MAN8 := man/kashim-preload.8
KASHIM_SYSTEMD_DOCS := $(wildcard scripts/systemd/*)
KASHIM_DOCS := $(wildcard doc/*.md)
KASHIM_STATUS_BIN := $(B)/ka-status
KASHIM_DIRS_RECORD := $(DOCDIR)/installed-dirs
# A package build passes KASHIM_DIRS_RECORD= (dpkg owns the directories) and
# KASHIM_SYSCONF_EXAMPLE= (dpkg would make a file under /etc a conffile).
KASHIM_SYSCONF_EXAMPLE := $(SYSCONFDIR)/keepalive.conf.example

# Every file install may put in place, DESTDIR not included; uninstall removes
# these and nothing else (kashim-check: what older versions installed).
KASHIM_INSTALLED_FILES := \
	$(LIBDIR)/libkashim.so $(LIBDIR)/kashim/libkashim-conf.so $(LIBDIR)/kashim/kashim-check \
	$(BINDIR)/ka-run $(BINDIR)/ka-status $(BINDIR)/kashim-preload \
	$(addprefix $(MANDIR)/man1/,$(notdir $(KASHIM_MAN1))) \
	$(addprefix $(MANDIR)/man5/,$(notdir $(KASHIM_MAN5))) \
	$(addprefix $(MANDIR)/man7/,$(notdir $(KASHIM_MAN7))) \
	$(addprefix $(MANDIR)/man8/,$(notdir $(KASHIM_MAN8))) \
	$(DOCDIR)/README.md $(DOCDIR)/keepalive.conf.example $(addprefix $(DOCDIR)/,$(KASHIM_DOCS)) \
	$(addprefix $(DOCDIR)/systemd/,$(notdir $(KASHIM_SYSTEMD_DOCS))) \
	$(KASHIM_SYSCONF_EXAMPLE)

# kashim_mkdir DIR: create $(DESTDIR)DIR and any missing parents, and append
# each directory it created (without DESTDIR) to $$created, parents first.
# A DESTDIR that does not exist yet is created, not recorded.
define kashim_install_shell_functions
	kashim_mkdir() { \
		[ -d "$(DESTDIR)$$1" ] && return 0; \
		if [ "$$1" = / ]; then mkdir -p "$(DESTDIR)/"; return; fi; \
		kashim_mkdir "$$(dirname "$$1")" || return 1; \
		mkdir "$(DESTDIR)$$1" || return 1; \
		created="$$created$$1$${newline}"; \
	}; \
	newline=$$(printf '\n_'); newline=$${newline%_}; created=
endef

# Substitute the installed library's path (without DESTDIR) into a script's
# `KASHIM_INSTALLED_LIB=` line, and refuse a script that has no such line
# (it would silently look for the library in a build tree). The config path
# its help names becomes the one compiled into the library.
define kashim_install_script
	sed -e 's|^KASHIM_INSTALLED_LIB=.*|KASHIM_INSTALLED_LIB=$(LIBDIR)/libkashim.so|' \
	    -e 's|/etc/keepalive\.conf|$(SYSCONFDIR)/keepalive.conf|g' $(1) >"$(DESTDIR)$(2).tmp"; \
	if ! grep -qxF 'KASHIM_INSTALLED_LIB=$(LIBDIR)/libkashim.so' "$(DESTDIR)$(2).tmp"; then \
		rm -f "$(DESTDIR)$(2).tmp"; \
		echo "install: $(1) has no KASHIM_INSTALLED_LIB= line to substitute" >&2; exit 1; \
	fi; \
	chmod 755 "$(DESTDIR)$(2).tmp"; mv -f "$(DESTDIR)$(2).tmp" "$(DESTDIR)$(2)"
endef

install: all $(KASHIM_STATUS_BIN) $(B)/install/ka-run
	@set -e; \
	case "$(LIBDIR)$(BINDIR)$(MANDIR)$(DOCDIR)$(SYSCONFDIR)" in *\ *) \
		echo "install: installation paths must not contain spaces" >&2; exit 1;; esac; \
	for d in "$(LIBDIR)" "$(BINDIR)" "$(MANDIR)" "$(DOCDIR)" "$(SYSCONFDIR)"; do \
		case "$$d" in /*) ;; *) echo "install: $$d is not an absolute path" >&2; exit 1;; esac; \
	done; \
	if ! tr '\0' '\n' <$(LIB) | grep -qxF '$(SYSCONFDIR)/keepalive.conf'; then \
		echo "install: $(LIB) was not built for SYSCONFDIR=$(SYSCONFDIR);" \
		     "rebuild it with: touch shim/init.c && make SYSCONFDIR=$(SYSCONFDIR)" >&2; exit 1; \
	fi; \
	$(kashim_install_shell_functions); \
	for d in $(LIBDIR)/kashim $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(MANDIR)/man7 \
	         $(MANDIR)/man8 $(DOCDIR)/systemd $(DOCDIR)/doc $(if $(KASHIM_SYSCONF_EXAMPLE),$(SYSCONFDIR)); do kashim_mkdir "$$d"; done; \
	install -m 755 $(LIB) "$(DESTDIR)$(LIBDIR)/libkashim.so"; \
	install -m 755 $(PLUGIN) "$(DESTDIR)$(LIBDIR)/kashim/libkashim-conf.so"; \
	install -m 755 $(B)/install/ka-run "$(DESTDIR)$(BINDIR)/ka-run"; \
	$(call kashim_install_script,scripts/kashim-preload,$(BINDIR)/kashim-preload); \
	install -m 755 $(KASHIM_STATUS_BIN) "$(DESTDIR)$(BINDIR)/ka-status"; \
	install -m 644 $(KASHIM_MAN1) "$(DESTDIR)$(MANDIR)/man1/"; \
	install -m 644 $(KASHIM_MAN5) "$(DESTDIR)$(MANDIR)/man5/"; \
	sed -e 's|/usr/local/lib/|$(LIBDIR)/|g' -e 's|/etc/keepalive\.conf|$(SYSCONFDIR)/keepalive.conf|g' \
		$(KASHIM_MAN7) >"$(DESTDIR)$(MANDIR)/man7/libkashim.7"; \
	chmod 644 "$(DESTDIR)$(MANDIR)/man7/libkashim.7"; \
	install -m 644 $(KASHIM_MAN8) "$(DESTDIR)$(MANDIR)/man8/"; \
	install -m 644 README.md keepalive.conf.example "$(DESTDIR)$(DOCDIR)/"; \
	install -m 644 $(KASHIM_DOCS) "$(DESTDIR)$(DOCDIR)/doc/"; \
	install -m 644 $(KASHIM_SYSTEMD_DOCS) "$(DESTDIR)$(DOCDIR)/systemd/"; \
	if [ -n "$(KASHIM_SYSCONF_EXAMPLE)" ]; then \
		install -m 644 keepalive.conf.example "$(DESTDIR)$(KASHIM_SYSCONF_EXAMPLE)"; fi; \
	if [ -n "$(KASHIM_DIRS_RECORD)" ]; then \
		printf '%s' "$$created" >>"$(DESTDIR)$(KASHIM_DIRS_RECORD)"; fi; \
	if [ ! -e "$(DESTDIR)$(SYSCONFDIR)/keepalive.conf" ]; then \
		echo "install: no $(SYSCONFDIR)/keepalive.conf: built-in defaults apply;" \
		     "start from $(SYSCONFDIR)/keepalive.conf.example"; fi; \
	echo "install: /etc/ld.so.preload left alone; for a system-wide preload see kashim-preload(8)"

# Remove the files install put in place (never keepalive.conf, which is the
# administrator's), then the directories install recorded as its own,
# deepest first, each only when empty.
uninstall:
	@set -e; \
	for f in $(KASHIM_INSTALLED_FILES); do rm -f "$(DESTDIR)$$f"; done; \
	record="$(DESTDIR)$(KASHIM_DIRS_RECORD)"; dirs=; \
	if [ -n "$(KASHIM_DIRS_RECORD)" ] && [ -f "$$record" ]; then dirs=$$(tac "$$record"); rm -f "$$record"; fi; \
	for d in $(DOCDIR)/systemd $(DOCDIR)/doc $(DOCDIR) $(LIBDIR)/kashim; do \
		rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
	printf '%s\n' "$$dirs" | while IFS= read -r d; do \
		[ -n "$$d" ] && rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done
