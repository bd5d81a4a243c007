#!/usr/bin/env bash
# Podman plumbing for the container test and bench (see ../shared/reference/container-testing.md:
# no Docker engine and no registry here, so podman with runc, and a base built with debootstrap).
#
#   scripts/container.sh base           make sure the stand-in base image exists (1-2 min, once)
#   scripts/container.sh build [TAG]    build the real Dockerfile against it (default TAG below)
#   scripts/container.sh run ARGS       podman run --rm with host network and limits, as a runner
#   scripts/container.sh podman ARGS    podman with the flags that work on these machines
#   scripts/container.sh tarball        where the stand-in tarball of FGS_ARCH is kept
#   scripts/container.sh standin        the stand-in base image's name (FGS_ARCH's)
#
# FGS_ARCH=amd64|arm64 (default: this machine's) picks the image's architecture. A foreign one
# runs under qemu-user-static through binfmt_misc, set up here when missing (arm64 on an amd64
# machine: debootstrap and venv about 7 min, a build 3 min), so its stand-in tarball is kept
# in /var/tmp, named by a hash of the recipe that made it: a changed recipe makes a new one.
# FGS_REAL_BASE=1 builds on the Dockerfile's own pinned base (pulled from Docker Hub, as on
# GitHub) instead of the stand-in.
#
# Each step says what failed on stderr and exits non-zero; the test reports that, never skips.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "container.sh: $*" >&2; exit 1; }

host_arch() {
    case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no stand-in for this machine's architecture, $(uname -m)" ;;
    esac
}
HOST_ARCH="$(host_arch)"
ARCH="${FGS_ARCH:-$HOST_ARCH}"
case "$ARCH" in
amd64) QEMU=x86_64 ;;
arm64) QEMU=aarch64 ;;
*) die "FGS_ARCH must be amd64 or arm64, not '$ARCH'" ;;
esac
PLATFORM="linux/$ARCH"
# amd64 keeps the names and overrides it had (FGS_STANDIN_IMAGE, FGS_STANDIN_CACHE); other
# architectures get their own (FGS_STANDIN_IMAGE_ARM64, FGS_STANDIN_CACHE_ARM64), so that
# .ci/run can keep the amd64 stand-in cold while the arm64 one comes from /var/tmp.
if [ "$ARCH" = amd64 ]; then suffix="" over=""; else suffix="-$ARCH" over="_${ARCH^^}"; fi
image_var="FGS_STANDIN_IMAGE$over" cache_var="FGS_STANDIN_CACHE$over"
REAL_BASE="${FGS_REAL_BASE:-}"
IMAGE="${FGS_IMAGE:-localhost/fgs-dependency-action:test$suffix}"
# A podman store of the caller's own (root and runroot below it), so that nothing left on the
# machine by an earlier run decides the outcome: .ci/run points this at an empty folder.
STORE="${FGS_PODMAN_STORE:-}"
command -v podman >/dev/null || die "podman is not installed (apt-get install podman runc)"
command -v runc >/dev/null || die "runc is not installed (apt-get install runc)"

# crun and podman's default ulimits fail here; runc with the host's limits works.
conf="${TMPDIR:-/tmp}/fgs-dependency-containers.conf"
[ -f "$conf" ] || printf '[containers]\ndefault_ulimits = []\n' >"$conf"
export CONTAINERS_CONF="$conf"
P=(podman --runtime runc --cgroup-manager=cgroupfs)
[ -z "$STORE" ] || P+=(--root "$STORE/root" --runroot "$STORE/run")

# Lets this machine run $ARCH's binaries: qemu-user-static registered with binfmt_misc, with
# the F flag (the kernel holds the interpreter open, so chroots and containers, which do not
# have it, still use it).
emulation() {
    [ "$ARCH" != "$HOST_ARCH" ] || return 0
    local entry="/proc/sys/fs/binfmt_misc/qemu-$QEMU"
    if ! grep -qx enabled "$entry" 2>/dev/null; then
        if ! command -v update-binfmts >/dev/null || ! [ -e "/usr/lib/binfmt.d/qemu-$QEMU.conf" ]; then
            command -v apt-get >/dev/null ||
                die "$ARCH needs qemu-user-static and binfmt-support, which are not installed"
            echo "container.sh: installing qemu-user-static to run $ARCH images" >&2
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                qemu-user-static binfmt-support >/dev/null; } ||
                die "apt-get install qemu-user-static binfmt-support failed"
        fi
        [ -e /proc/sys/fs/binfmt_misc/register ] ||
            mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
            die "cannot mount binfmt_misc at /proc/sys/fs/binfmt_misc (needs root)"
        [ -e "$entry" ] || update-binfmts --enable "qemu-$QEMU" >/dev/null 2>&1 ||
            systemd-binfmt "/usr/lib/binfmt.d/qemu-$QEMU.conf" >/dev/null 2>&1 || true
    fi
    grep -qx enabled "$entry" 2>/dev/null || die "qemu-$QEMU is not registered in binfmt_misc"
    grep -q '^flags: .*F' "$entry" ||
        die "qemu-$QEMU is registered without the F flag, so containers cannot use it: $entry"
}

# Debootstraps the stand-in for $ARCH into a tarball. A subshell, so that its EXIT trap removes
# the scratch tree however it ends, and fires only here (a RETURN trap would fire again in every
# caller). Its text is the recipe whose hash names the tarball: edit it and a new one is made.
debootstrap_standin() (
    command -v debootstrap >/dev/null || die "debootstrap is not installed"
    tree="$(mktemp -d /var/tmp/fgs-standin.XXXXXX)"
    trap 'rm -rf "$tree" "$tree.log" "$STANDIN_TAR.$$.part"' EXIT
    echo "container.sh: debootstrapping the $ARCH stand-in for python:3.13-slim-trixie" >&2
    # On a foreign architecture debootstrap runs its second stage in the chroot, through qemu.
    debootstrap --arch="$ARCH" --variant=minbase --include=python3,python3-venv,ca-certificates \
        trixie "$tree" http://deb.debian.org/debian >"$tree.log" 2>&1 ||
        die "debootstrap failed: $(tail -5 "$tree.log")"
    # python and pip on PATH under /usr/local, as in the official image.
    chroot "$tree" python3 -m venv /usr/local || die "python3 -m venv in the stand-in failed"
    rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*
    mkdir -p "$(dirname "$STANDIN_TAR")"
    # Written aside and renamed, so that a run stopped half-way or a second run at the same time
    # never leaves a partial tarball under the real name.
    tar -C "$tree" --numeric-owner -cf "$STANDIN_TAR.$$.part" .
    mv "$STANDIN_TAR.$$.part" "$STANDIN_TAR"
)

RECIPE="$({ declare -f debootstrap_standin; echo "$ARCH"; } | sha256sum | cut -c1-12)"
STANDIN="${!image_var:-localhost/python-standin$suffix:3.13-$RECIPE}"
STANDIN_TAR="${!cache_var:-/var/tmp/fgs-dependency/python-standin$suffix-3.13-$RECIPE.tar}"

base() {
    emulation
    [ -z "$REAL_BASE" ] || return 0
    "${P[@]}" image exists "$STANDIN" && return 0
    if ! [ -s "$STANDIN_TAR" ]; then
        debootstrap_standin
        # Tarballs of older recipes are of no more use (one is over 200 MB).
        find "$(dirname "$STANDIN_TAR")" -maxdepth 1 -name "python-standin$suffix-3.13-*.tar" \
            ! -path "$STANDIN_TAR" -delete 2>/dev/null || true
    fi
    "${P[@]}" import --quiet --arch "$ARCH" "$STANDIN_TAR" "$STANDIN" >/dev/null ||
        die "podman import failed"
}

build() {
    base
    # pip inside the build reaches PyPI only through this machine's CA bundle.
    local ca=/etc/ssl/certs/ca-certificates.crt from="$STANDIN"
    if [ -n "$REAL_BASE" ]; then
        # The Dockerfile's own pinned base, spelt out in full: podman resolves no short name
        # where registries.conf names no search registry (Ubuntu's runners).
        from="$(sed -n 's/^ARG BASE_IMAGE=//p' "$root/Dockerfile")"
        [ -n "$from" ] || die "the Dockerfile has no ARG BASE_IMAGE=... line"
        if [[ "$from" != */* ]]; then
            from="docker.io/library/$from"
        elif [[ "${from%%/*}" != *[.:]* && "${from%%/*}" != localhost ]]; then
            from="docker.io/$from"
        fi
    fi
    "${P[@]}" build --quiet --platform "$PLATFORM" --isolation=chroot --network=host \
        -v "$ca:$ca:ro" --build-arg "BASE_IMAGE=$from" -t "${1:-$IMAGE}" \
        -f "$root/Dockerfile" "$root" \
        >/dev/null || die "podman build of the Dockerfile for $PLATFORM failed (output above)"
}

case "${1:-}" in
base) base ;;
build) build "${2:-}" ;;
# --network=host: the container reaches a test server on 127.0.0.1, as a runner's reaches the web.
run) shift; emulation; exec "${P[@]}" run --rm --platform "$PLATFORM" --network=host --ulimit host "$@" ;;
podman) shift; exec "${P[@]}" "$@" ;;
tarball) echo "$STANDIN_TAR" ;;
standin) echo "$STANDIN" ;;
*) die "usage: container.sh base | build [TAG] | run ARGS... | podman ARGS... | tarball | standin" ;;
esac
