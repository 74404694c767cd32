#!/usr/bin/env bash
# Builds the lab's base root filesystem offline, from Debian's packages only,
# and writes it as a tarball ready for `docker import`.
# Usage: build-rootfs.sh PACKAGES_FILE MIRROR OUT_TAR
set -euo pipefail
packages_file=$1 mirror=$2 out_tar=$3

rootfs=$(mktemp -d /tmp/lab-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

include=$(grep -v '^\s*#' "$packages_file" | grep -v '^\s*$' | paste -sd, -)
debootstrap --variant=minbase --include="$include" bookworm "$rootfs" "$mirror" >&2

# Packaged services create default state at install time; the lab creates its own.
rm -rf "$rootfs"/var/lib/postgresql/15/main "$rootfs"/etc/postgresql/15/main
# Postgres runs with jit=off, so its LLVM JIT (130 MB of libraries) is never loaded.
rm -f "$rootfs"/usr/lib/postgresql/15/lib/llvmjit* "$rootfs"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* \
      "$rootfs"/usr/lib/x86_64-linux-gnu/libz3.so*
rm -rf "$rootfs"/usr/lib/postgresql/15/lib/bitcode
# Prometheus' classic UI loads one bundled moment-timezone file, never the raw tz data (210 MB).
rm -rf "$rootfs"/usr/share/javascript/moment-timezone/data
# Slim the image: package caches, lists, docs and man pages are never read in a container.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
       "$rootfs"/var/log/*.log
tar -C "$rootfs" --numeric-owner -cf "$out_tar" .
