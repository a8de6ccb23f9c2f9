# SPDX-License-Identifier: MIT
# deb.mk - `make deb`: the Debian source package and binary packages
# (debian/, format 3.0 (quilt), revision -1), built by dpkg-buildpackage
# -us -uc from the release tarball (make dist, mk/dist.mk) as the upstream
# kashim_VERSION.orig.tar.gz, unpacked in $(DEB_OUT)/kashim-VERSION with
# this tree's debian/ (the files git tracks, as make dist takes them): so
# dpkg-buildpackage's clean never touches this tree, and its output (which
# dpkg writes to the parent of the tree it builds) lands in $(DEB_OUT):
# the .orig.tar.gz, .debian.tar.xz and .dsc, libkashim_..., kashim_...,
# kashim-bpf_..._<arch>.deb (and -dbgsym), .buildinfo, .changes.
DEB_OUT ?= $(B)/deb
DEB_SRC := $(DEB_OUT)/kashim-$(VERSION)

.PHONY: deb
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || { \
		echo "make deb needs dpkg-dev and debhelper:  sudo apt-get install -y dpkg-dev debhelper" >&2; exit 1; }
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)
	$(MAKE) --no-print-directory dist DIST_OUT=$(DEB_OUT)
	mv $(DEB_OUT)/kashim-$(VERSION).tar.gz $(DEB_OUT)/kashim_$(VERSION).orig.tar.gz
	rm -f $(DEB_OUT)/kashim-$(VERSION).tar.gz.sha256
	tar -xzf $(DEB_OUT)/kashim_$(VERSION).orig.tar.gz -C $(DEB_OUT)
	git ls-files -z debian | $(call kashim_tar,) | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc
	@ls -l $(DEB_OUT)/*.deb $(DEB_OUT)/*.dsc
