#!/bin/bash
# The baseline of the tenant-wide scan (tests/bench/bench.py): what admins script today to
# "list every job whose status code is Quarantine" with curl and jq.
#
#   scan_curl.sh GRAPH_V1_URL [PARALLEL]
#
# GRAPH_V1_URL: e.g. https://graph.microsoft.com/v1.0 (the benchmark passes the emulator's).
# PARALLEL: 1 (default) = a sequential loop; N > 1 = the same per-service-principal step
# run by `xargs -P N`. $TOKEN, when set, is sent as the bearer token.
# Prints one line per quarantined job: "<spId> <jobId>".
set -euo pipefail

G=${1:?usage: scan_curl.sh GRAPH_V1_URL [PARALLEL]}
P=${2:-1}
export G

ids=$(mktemp)
trap 'rm -f "$ids"' EXIT

auth=()
if [ -n "${TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $TOKEN"); fi

# 1. every service principal's id, following @odata.nextLink
url="$G/servicePrincipals?\$select=id&\$top=999"
while [ -n "$url" ]; do
    page=$(curl -sS --fail "${auth[@]}" "$url")
    jq -r '.value[].id' <<<"$page" >>"$ids"
    url=$(jq -r '."@odata.nextLink" // empty' <<<"$page")
done

# 2. each one's synchronization jobs, keeping those in quarantine
one() {
    curl -sS --fail ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
        "$G/servicePrincipals/$1/synchronization/jobs" |
        jq -r --arg sp "$1" '.value[]? | select(.status.code == "Quarantine") | "\($sp) \(.id)"'
}
export -f one

if [ "$P" -le 1 ]; then
    while read -r id; do
        one "$id"
    done <"$ids"
else
    xargs -P "$P" -I{} bash -c 'one "$1"' _ {} <"$ids"
fi
