# SPDX-License-Identifier: MIT
# roots-bullseye.t - the shim and reader built here, loaded in a Debian 11 root
# filesystem (glibc 2.31): tests/package/roots.sh says what and how.
SUITE=bullseye
source "$(dirname "$0")/roots.sh"
