#!/usr/bin/env bash
# Live capture at line rate (issue 15, point 3): mizuban and `tcpdump -w /dev/null` watch
# the same veth end in the same run while tcpreplay (--preload-pcap) sends Modbus-sized
# frames into the other end, with the veth's offloads on (the default, as on real NICs)
# and off; then a pause test: both receivers are stopped (SIGSTOP) for 8 s in the middle
# of a paced send, and what their rings absorbed is reported.
#
# Usage (as root): tools/live-rate.sh [PACKETS] [FLOWS]
#   env RATES="100000 200000 500000 top"   pps for tcpreplay --pps ("top": --topspeed)
#       OFFLOADS="on off"    veth offload settings to run (ethtool -K gro/gso/tso/tx/rx/sg)
#       SECONDS_PER_RATE=4   paced runs send min(PACKETS, rate * this) packets
#       PAUSE_RATE=100000    pps of the pause test (0 skips it); PAUSE_SECS=8
#       MIZUBAN=target/release/mizuban (built with --features live)
#       WORK=/tmp/mizuban-rate
#
# Everything happens inside two network namespaces this script creates and deletes: the
# veth pair has no addresses and nothing reaches the host's own interfaces.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${1:-2000000}
FLOWS=${2:-1000}
RATES=${RATES:-"100000 200000 500000 top"}
OFFLOADS=${OFFLOADS:-"on off"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-4}
PAUSE_RATE=${PAUSE_RATE:-100000}
PAUSE_SECS=${PAUSE_SECS:-8}
WORK=${WORK:-/tmp/mizuban-rate}
METRICS=127.0.0.1:9731
TARGET=${CARGO_TARGET_DIR:-target}
MIZUBAN=${MIZUBAN:-$TARGET/release/mizuban}

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for t in ip tcpreplay tcpdump ethtool curl; do
  command -v "$t" >/dev/null || { echo "$t not installed (apt-get install tcpreplay tcpdump ethtool curl)" >&2; exit 1; }
done
mkdir -p "$WORK"
if [ ! -x "$MIZUBAN" ]; then
  cargo build --release --features live --bin mizuban --bin mizuban-synth
fi
PCAP=$WORK/throughput-$PACKETS-$FLOWS.pcap
if [ ! -s "$PCAP" ]; then
  "$(dirname "$MIZUBAN")/mizuban-synth" throughput "$PCAP" "$PACKETS" "$FLOWS"
fi

SRC=mzr-src-$$; MON=mzr-mon-$$; SIF=mzrs$$; MIF=mzrm$$
MPID=; TPID=
cleanup() {
  for p in $MPID $TPID; do kill -CONT "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done
  ip netns del "$SRC" 2>/dev/null || true
  ip netns del "$MON" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$SRC"
ip netns add "$MON"
ip -n "$SRC" link add "$SIF" type veth peer name "$MIF" netns "$MON"
for ns_if in "$SRC:$SIF" "$MON:$MIF"; do
  ns=${ns_if%%:*}; ifc=${ns_if#*:}
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$ifc" mtu 9000 up
done

offloads() { # on|off, both ends
  for ns_if in "$SRC:$SIF" "$MON:$MIF"; do
    ip netns exec "${ns_if%%:*}" ethtool -K "${ns_if#*:}" gro "$1" gso "$1" tso "$1" tx "$1" rx "$1" sg "$1" >/dev/null 2>&1 || true
  done
}
metric() { # NAME LABEL-SUBSTRING: sum of matching samples from mizuban's /metrics
  ip netns exec "$MON" curl -s "http://$METRICS/metrics" |
    awk -v n="$1" -v l="$2" '$1 !~ /^#/ { split($1, a, "{"); if (a[1] == n && index($1, l)) s += $2 } END { printf "%d\n", s }'
}
start_receivers() { # LOGTAG
  ip netns exec "$MON" tcpdump -i "$MIF" -n -w /dev/null 2>"$WORK/tcpdump-$1.log" &
  TPID=$!
  ip netns exec "$MON" "$MIZUBAN" capture -i "$MIF" --metrics-listen "$METRICS" 2>"$WORK/mizuban-$1.log" &
  MPID=$!
  for _ in $(seq 100); do
    ip netns exec "$MON" curl -sf "http://$METRICS/metrics" >/dev/null && break
    sleep 0.1
  done
  sleep 0.5
}
stop_receivers() { # LOGTAG -> sets M_CAP M_KERN M_QUEUE T_CAP T_DROP
  sleep 2
  M_KERN=$(metric mizuban_drops_total 'reason="kernel"')
  M_QUEUE=$(metric mizuban_drops_total 'reason="queue_full"')
  kill -TERM "$MPID" "$TPID"; wait "$MPID" || true; wait "$TPID" || true
  MPID=; TPID=
  M_CAP=$(awk '/^  packets:/ { print $2; exit }' "$WORK/mizuban-$1.log")
  T_CAP=$(awk '/packets captured/ { print $1; exit }' "$WORK/tcpdump-$1.log")
  T_DROP=$(awk '/packets dropped by kernel/ { print $1; exit }' "$WORK/tcpdump-$1.log")
}
send() { # RATE|top LIMIT -> sets SENT PPS
  local speed
  if [ "$1" = top ]; then speed=(--topspeed); else speed=(--pps="$1"); fi
  local out
  out=$(ip netns exec "$SRC" tcpreplay -q --preload-pcap -i "$SIF" "${speed[@]}" --limit="$2" "$PCAP" 2>&1)
  SENT=$(echo "$out" | awk '/Actual:/ { print $2; exit }')
  PPS=$(echo "$out" | awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /pps/) { print $(i-1); exit } }')
}

printf '\n%-8s %-8s %9s %9s | %9s %8s %8s | %9s %8s\n' offload rate sent send_pps mizuban kernel queue tcpdump dropped
for off in $OFFLOADS; do
  offloads "$off"
  for rate in $RATES; do
    if [ "$rate" = top ]; then limit=$PACKETS; else
      limit=$(( rate * SECONDS_PER_RATE )); [ "$limit" -gt "$PACKETS" ] && limit=$PACKETS; fi
    tag=$off-$rate
    start_receivers "$tag"
    send "$rate" "$limit"
    stop_receivers "$tag"
    printf '%-8s %-8s %9s %9s | %9s %8s %8s | %9s %8s\n' \
      "$off" "$rate" "$SENT" "${PPS%.*}" "$M_CAP" "$M_KERN" "$M_QUEUE" "$T_CAP" "$T_DROP"
  done
done

if [ "$PAUSE_RATE" -gt 0 ]; then
  offloads on
  limit=$(( PAUSE_RATE * (PAUSE_SECS + 6) ))
  start_receivers pause
  ( sleep 2; kill -STOP "$MPID" "$TPID"; sleep "$PAUSE_SECS"; kill -CONT "$MPID" "$TPID" ) &
  PAUSER=$!
  send "$PAUSE_RATE" "$limit"
  wait "$PAUSER" || true
  stop_receivers pause
  in_pause=$(( PAUSE_RATE * PAUSE_SECS ))
  printf '\npause test: %s pps, both receivers stopped %s s (%s packets arrived meanwhile), offloads on\n' \
    "$PAUSE_RATE" "$PAUSE_SECS" "$in_pause"
  printf '  mizuban: captured %s of %s sent, kernel drops %s, queue drops %s; ring absorbed about %s\n' \
    "$M_CAP" "$SENT" "$M_KERN" "$M_QUEUE" "$(( in_pause - M_KERN ))"
  printf '  tcpdump: captured %s, dropped %s; ring absorbed about %s\n' \
    "$T_CAP" "$T_DROP" "$(( in_pause - T_DROP ))"
fi
echo
echo "sent / send_pps: tcpreplay's count and achieved rate; mizuban: its summary's packet"
echo "count; kernel, queue: mizuban_drops_total by reason; tcpdump: its own counts. Logs in $WORK."
