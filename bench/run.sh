#!/usr/bin/env bash
# Runs a benchmark in the project's virtualenv; each prints a Markdown table.
#   bash bench/run.sh packaging [--rounds 5]   # throughput and zip size against zip -r -X
#   bash bench/run.sh memory [--rounds 3]      # peak RSS of publishes against a dry run's
#   bash bench/run.sh startup [--rounds 7]     # import time and dry-run wall time
#   bash bench/run.sh codecs                   # deflate implementations (pip install zlib-ng isal)
#   bash bench/run.sh limits [--rounds 7]      # what 4x on the npm tree would take (issue 16)
#   bash bench/run.sh requirements [--rounds 3] # uv install + package against pip + zip -r (PyPI)
#   bash bench/run.sh floor [--rounds 5]       # the requirements step against uv alone + packaging
#   bash bench/run.sh all                      # the first three
# The trees are built on first use and cached in bench/.cache/ (npm and pip needed once).
# shellcheck source=../scripts/venv.sh
source "$(dirname "$0")/../scripts/venv.sh"
cd "$root" || exit 1
what="${1:-all}"
shift || true
case "$what" in
    packaging | memory | startup | codecs | limits | requirements | floor) exec python "bench/bench_$what.py" "$@" ;;
    all) for one in packaging memory startup; do python "bench/bench_$one.py" && echo; done ;;
    *) echo "usage: bash bench/run.sh packaging|memory|startup|codecs|limits|requirements|floor|all [options]" >&2; exit 2 ;;
esac
