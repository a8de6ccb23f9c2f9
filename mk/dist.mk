# SPDX-License-Identifier: MIT
# dist.mk - `make dist`: the release tarball $(DIST_OUT)/kashim-VERSION.tar.gz
# and its .sha256 beside it. It holds the files git tracks but debian/ (the
# Debian packaging comes in the Debian source package's own debian.tar,
# make deb), as they are in the work tree (make dist says so when they
# differ from the last commit),
# under kashim-VERSION/, with names sorted, owner and group 0, modes
# without group or other write, every time set to the last commit's
# (SOURCE_DATE_EPOCH when set) and gzip -n (no name, no time): the same
# bytes from the same commit, wherever, whenever and by whomever made.
# `make distcheck`: what autotools' distcheck does: the tarball unpacked in
# a temporary folder, built there (make -j2) and checked (make check;
# TESTS=PATTERN... narrows it, as tests/run's arguments do); the folder is
# removed afterwards, and the time taken is printed.
DIST_OUT ?= build
DIST_NAME := kashim-$(VERSION)
DIST_TAR = $(DIST_OUT)/$(DIST_NAME).tar.gz

# kashim_tar PREFIX: a tar of the NUL-separated file names on its input,
# under PREFIX, the same bytes for the same files.
kashim_tar = LC_ALL=C tar --null -T - --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
	--mode=u+rw,go-w,go+rX --mtime=@$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct)} \
	--transform 's,^,$(1),' -cf -

.PHONY: dist distcheck
dist:
	@git rev-parse --git-dir >/dev/null 2>&1 || { \
		echo "make dist: needs a git checkout (the tarball holds the files git tracks)" >&2; exit 1; }
	@git diff --quiet HEAD -- || \
		echo "make dist: note: the work tree differs from the last commit; the tarball holds the work tree's files" >&2
	@mkdir -p $(DIST_OUT)
	git ls-files -z -- . ':!:debian' | $(call kashim_tar,$(DIST_NAME)/) | gzip -9n >$(DIST_TAR).tmp
	mv -f $(DIST_TAR).tmp $(DIST_TAR)
	cd $(DIST_OUT) && sha256sum $(DIST_NAME).tar.gz >$(DIST_NAME).tar.gz.sha256
	@cat $(DIST_TAR).sha256

distcheck: dist
	@# 0755, not mktemp's 0700: tests run programs as nobody against the tree.
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/kashim-distcheck.XXXXXX") && trap 'rm -rf "$$d"' EXIT && chmod 755 "$$d" && \
	start=$$(date +%s) && tar -xzf $(DIST_TAR) -C "$$d" && \
	echo "make distcheck: building $(DIST_NAME).tar.gz in $$d/$(DIST_NAME)" && \
	$(MAKE) --no-print-directory -C "$$d/$(DIST_NAME)" -j2 all && \
	$(MAKE) --no-print-directory -C "$$d/$(DIST_NAME)" check TESTS="$(TESTS)" && \
	echo "make distcheck: $(DIST_NAME).tar.gz builds and passes make check$(if $(TESTS), (tests: $(TESTS))) in $$(( $$(date +%s) - start )) s"
