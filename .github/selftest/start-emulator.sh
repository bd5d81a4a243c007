#!/usr/bin/env bash
# Self-test: serve the FunctionGraph emulator over HTTPS where the action's container reaches
# it, and write `url` and `ca-bundle` (the CA's path as the container sees it) to GITHUB_OUTPUT.
#
# Why TLS and why this address:
# - The runner starts a Docker action's container on Docker's default bridge when the job has
#   no job container and no service containers (it joins the job's github_network_* network
#   only then; this job has neither). From inside that container, 127.0.0.1 is the container
#   itself; the runner host is the bridge's gateway, 172.17.0.1 on GitHub's images.
# - The action accepts plain http:// only for loopback hosts, so the emulator speaks TLS with
#   a certificate for the gateway address, signed by a CA made for this run only (trustme).
# - The emulator listens on the gateway address only: reachable from the host and from
#   containers on the bridge, not from outside the runner.
# - The CA goes to RUNNER_TEMP, which the runner mounts into the container at
#   /github/runner_temp; steps pass that path in REQUESTS_CA_BUNDLE or SSL_CERT_FILE.
# The process outlives this step (steps of a job share the runner); the job's end stops it.
set -euo pipefail

gateway="$(docker network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}')"
[[ "$gateway" =~ ^[0-9]+(\.[0-9]+){3}$ ]] || {
    echo "::error::no IPv4 gateway on Docker's bridge network (got '$gateway')"
    exit 1
}
dir="$RUNNER_TEMP/fgs-selftest"
mkdir -p "$dir"

PYTHONPATH=tests nohup python -m fgs_emulator_tls \
    --ca-bundle "$dir/ca.pem" --host "$gateway" --name "$gateway" \
    >"$dir/emulator.log" 2>&1 &

url=""
for _ in $(seq 100); do
    url="$(sed -n 's/^fgs-emulator listening on //p' "$dir/emulator.log")"
    [ -n "$url" ] && break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "::error::the TLS emulator did not start"
    cat "$dir/emulator.log"
    exit 1
fi
# The host can verify the emulator with the same CA: fail here, not in the action, if not.
curl --silent --show-error --cacert "$dir/ca.pem" --output /dev/null "$url/"

echo "FunctionGraph emulator at $url (CA in $dir/ca.pem)"
{
    echo "url=$url"
    echo "ca-bundle=/github/runner_temp/fgs-selftest/ca.pem"
} >>"$GITHUB_OUTPUT"
