# SPDX-License-Identifier: MIT
# deb.mk - `make deb`: the Debian packages (debian/), built with
# dpkg-buildpackage -us -uc -b from a copy of the tree in $(DEB_SRC), so
# that dpkg-buildpackage's clean never touches this tree's build folder and
# its output (which dpkg always writes to the parent of the tree it builds)
# lands in $(DEB_OUT): kashim_$(VERSION)_<arch>.deb, libkashim_..., .changes,
# .buildinfo. The copy leaves out build*/ and .git.
DEB_OUT ?= $(B)/deb
DEB_SRC := $(DEB_OUT)/kashim-$(VERSION)

.PHONY: deb
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || { \
		echo "make deb needs dpkg-dev and debhelper:  sudo apt-get install -y dpkg-dev debhelper" >&2; exit 1; }
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_SRC)
	tar -c --exclude=./.git --exclude='./build' --exclude='./build-*' . | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	@ls -l $(DEB_OUT)/*.deb
