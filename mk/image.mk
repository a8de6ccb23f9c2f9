# SPDX-License-Identifier: MIT
# image.mk - `make image`: the kashim-bpf node-agent image (OCI, with
# podman) from this tree's Debian packages on a debootstrap bookworm base
# (scripts/make-image), named $(IMAGE) in podman's local storage and saved
# as $(IMAGE_OUT)/kashim-node-agent.oci.tar. The packages are made by make
# deb into $(IMAGE_OUT)/deb, unless IMAGE_DEBS names a folder holding them.
# IMAGE_CACHE keeps the base root between builds. Needs root. See
# doc/deploying.md (a DaemonSet, a podman unit).
IMAGE       ?= localhost/kashim-node-agent:$(VERSION)
IMAGE_OUT   ?= $(B)/image
IMAGE_CACHE ?= /var/cache/kashim
IMAGE_DEBS  ?=

.PHONY: image
image:
	$(if $(IMAGE_DEBS),,$(MAKE) --no-print-directory deb DEB_OUT=$(abspath $(IMAGE_OUT))/deb)
	scripts/make-image --debs $(or $(IMAGE_DEBS),$(IMAGE_OUT)/deb) --name $(IMAGE) \
		--out $(IMAGE_OUT) --cache $(IMAGE_CACHE)
