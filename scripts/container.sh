#!/usr/bin/env bash
# Podman plumbing for the container test and bench (see ../shared/reference/container-testing.md:
# no Docker engine and no registry here, so podman with runc, and a base built with debootstrap).
#
#   scripts/container.sh base           make sure the stand-in base image exists (1-2 min, once)
#   scripts/container.sh build [TAG]    build the real Dockerfile against it (default TAG below)
#   scripts/container.sh run ARGS       podman run --rm with host network and limits, as a runner
#   scripts/container.sh podman ARGS    podman with the flags that work on these machines
#
# Each step says what failed on stderr and exits non-zero; the test reports that, never skips.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

STANDIN="${FGS_STANDIN_IMAGE:-localhost/python-standin:3.13}"
# The debootstrapped tree, kept as a tarball so that a reset podman store costs an import, not
# another download.
STANDIN_TAR="${FGS_STANDIN_CACHE:-/var/tmp/fgs-dependency/python-standin-3.13.tar}"
IMAGE="${FGS_IMAGE:-localhost/fgs-dependency-action:test}"
# A podman store of the caller's own (root and runroot below it), so that nothing left on the
# machine by an earlier run decides the outcome: .ci/run points this at an empty folder.
STORE="${FGS_PODMAN_STORE:-}"

die() { echo "container.sh: $*" >&2; exit 1; }

command -v podman >/dev/null || die "podman is not installed (apt-get install podman runc)"
command -v runc >/dev/null || die "runc is not installed (apt-get install runc)"

# crun and podman's default ulimits fail here; runc with the host's limits works.
conf="${TMPDIR:-/tmp}/fgs-dependency-containers.conf"
[ -f "$conf" ] || printf '[containers]\ndefault_ulimits = []\n' >"$conf"
export CONTAINERS_CONF="$conf"
P=(podman --runtime runc --cgroup-manager=cgroupfs)
[ -z "$STORE" ] || P+=(--root "$STORE/root" --runroot "$STORE/run")

# Debootstraps the stand-in into a tarball. A subshell, so that its EXIT trap removes the scratch
# tree however it ends, and fires only here (a RETURN trap would fire again in every caller).
debootstrap_standin() (
    command -v debootstrap >/dev/null || die "debootstrap is not installed"
    tree="$(mktemp -d /var/tmp/fgs-standin.XXXXXX)"
    trap 'rm -rf "$tree" "$tree.log"' EXIT
    echo "container.sh: debootstrapping the stand-in for python:3.13-slim-trixie" >&2
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        trixie "$tree" http://deb.debian.org/debian >"$tree.log" 2>&1 ||
        die "debootstrap failed: $(tail -5 "$tree.log")"
    # python and pip on PATH under /usr/local, as in the official image.
    chroot "$tree" python3 -m venv /usr/local || die "python3 -m venv in the stand-in failed"
    rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*
    mkdir -p "$(dirname "$STANDIN_TAR")"
    tar -C "$tree" --numeric-owner -cf "$STANDIN_TAR.part" .
    mv "$STANDIN_TAR.part" "$STANDIN_TAR"
)

base() {
    "${P[@]}" image exists "$STANDIN" && return 0
    [ -s "$STANDIN_TAR" ] || debootstrap_standin
    "${P[@]}" import --quiet "$STANDIN_TAR" "$STANDIN" >/dev/null || die "podman import failed"
}

build() {
    base
    # pip inside the build reaches PyPI only through this machine's CA bundle.
    local ca=/etc/ssl/certs/ca-certificates.crt
    "${P[@]}" build --quiet --isolation=chroot --network=host -v "$ca:$ca:ro" \
        --build-arg "BASE_IMAGE=$STANDIN" -t "${1:-$IMAGE}" -f "$root/Dockerfile" "$root" \
        >/dev/null || die "podman build of the Dockerfile failed (output above)"
}

case "${1:-}" in
base) base ;;
build) build "${2:-}" ;;
# --network=host: the container reaches a test server on 127.0.0.1, as a runner's reaches the web.
run) shift; exec "${P[@]}" run --rm --network=host --ulimit host "$@" ;;
podman) shift; exec "${P[@]}" "$@" ;;
*) die "usage: container.sh base | build [TAG] | run ARGS... | podman ARGS..." ;;
esac
