# SPDX-License-Identifier: MIT
# roots-trixie.t - the shim and reader built here, loaded in a Debian 13 root
# filesystem (glibc 2.41): tests/package/roots.sh says what and how.
SUITE=trixie
source "$(dirname "$0")/roots.sh"
