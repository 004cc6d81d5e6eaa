#!/usr/bin/env bash
# Live capture throughput (issue 7, point 6): replays a large synthetic capture with
# tcpreplay into one end of a veth pair and has `mizuban capture` watch the other end,
# at several packet rates, to find the highest rate captured with zero kernel drops.
#
# Usage (as root): tools/live-throughput.sh [PACKETS] [FLOWS]
#   env RATES="50000 100000 200000 400000 top"   pps for tcpreplay --pps ("top": --topspeed)
#       SECONDS_PER_RATE=5   paced runs send min(PACKETS, rate * this) packets
#       WORKERS=             mizuban --workers (default: one per core)
#       WORK=/tmp/mizuban-throughput   where the capture and logs go
#
# Everything happens inside two network namespaces this script creates and deletes: the
# veth pair has no addresses and nothing reaches the host's own interfaces.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${1:-2000000}
FLOWS=${2:-1000}
RATES=${RATES:-"50000 100000 200000 400000 top"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-5}
WORK=${WORK:-/tmp/mizuban-throughput}
METRICS=127.0.0.1:9731
TARGET=${CARGO_TARGET_DIR:-target}

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for t in ip tcpreplay curl; do
  command -v "$t" >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
mkdir -p "$WORK"

cargo build --release --features live --bin mizuban --bin mizuban-synth
MIZUBAN=$TARGET/release/mizuban
PCAP=$WORK/throughput-$PACKETS-$FLOWS.pcap
if [ ! -s "$PCAP" ]; then
  cargo run --release --features live --bin mizuban-synth -- throughput "$PCAP" "$PACKETS" "$FLOWS"
fi
# tcpreplay refuses frames above the interface MTU; report the largest for the record.
command -v capinfos >/dev/null && capinfos -c -l -d "$PCAP" | sed 's/^/  /' || true

SRC=mzt-src-$$; MON=mzt-mon-$$; SIF=mzts$$; MIF=mztm$$
MPID=
cleanup() {
  [ -n "$MPID" ] && kill -TERM "$MPID" 2>/dev/null || true
  ip netns del "$SRC" 2>/dev/null || true
  ip netns del "$MON" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$SRC"
ip netns add "$MON"
ip -n "$SRC" link add "$SIF" type veth peer name "$MIF" netns "$MON"
for ns_if in "$SRC:$SIF" "$MON:$MIF"; do
  ns=${ns_if%%:*}; ifc=${ns_if#*:}
  # No IPv6 autoconfiguration chatter: only the replayed frames cross the pair.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$ifc" mtu 9000 up
done

metric() { # NAME LABEL-SUBSTRING: sum of matching samples from mizuban's /metrics
  ip netns exec "$MON" curl -s "http://$METRICS/metrics" |
    awk -v n="$1" -v l="$2" '$1 !~ /^#/ { split($1, a, "{"); if (a[1] == n && index($1, l)) s += $2 } END { printf "%d\n", s }'
}

# The receiving veth's rx_dropped: frames the kernel dropped before any socket saw them
# (veth -> per-CPU backlog over net.core.netdev_max_backlog). libpcap adds these to its
# ps_ifdrop, so they are part of mizuban's "kernel" drops; the rest is ring overflow.
rx_dropped() { ip netns exec "$MON" cat "/sys/class/net/$MIF/statistics/rx_dropped"; }

printf '\n%-8s %10s %10s %12s %10s %10s %10s %10s %12s\n' rate sent tcpreplay captured kernel veth_rx queue if_down captured_pps
for rate in $RATES; do
  log=$WORK/mizuban-$rate.log
  ip netns exec "$MON" "$MIZUBAN" capture -i "$MIF" --metrics-listen "$METRICS" \
    ${WORKERS:+--workers "$WORKERS"} 2>"$log" &
  MPID=$!
  rx0=$(rx_dropped)
  for _ in $(seq 100); do
    ip netns exec "$MON" curl -sf "http://$METRICS/metrics" >/dev/null && break
    sleep 0.1
  done
  if [ "$rate" = top ]; then
    speed=(--topspeed); limit=$PACKETS
  else
    limit=$(( rate * SECONDS_PER_RATE )); [ "$limit" -gt "$PACKETS" ] && limit=$PACKETS
    speed=(--pps="$rate")
  fi
  out=$(ip netns exec "$SRC" tcpreplay -q -i "$SIF" "${speed[@]}" --limit="$limit" "$PCAP" 2>&1)
  echo "$out" >"$WORK/tcpreplay-$rate.log"
  sent=$(echo "$out" | awk '/Actual:/ { print $2; exit }')
  tr_pps=$(echo "$out" | awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /pps/) { print $(i-1); exit } }')
  # Let the kernel buffer and the pipeline drain, then read the counters (refreshed
  # every 0.5 s) before stopping.
  sleep 2
  kernel=$(metric mizuban_drops_total 'reason="kernel"')
  vrx=$(( $(rx_dropped) - rx0 ))
  queue=$(metric mizuban_drops_total 'reason="queue_full"')
  ifdown=$(metric mizuban_drops_total 'reason="interface_down"')
  kill -TERM "$MPID"; wait "$MPID" || echo "mizuban exited $?" >&2
  MPID=
  captured=$(awk '/^  packets:/ { print $2; exit }' "$log")
  secs=$(echo "$out" | awk '/Actual:/ { for (i = 1; i <= NF; i++) if ($i == "in") { print $(i+1); exit } }')
  cpps=$(awk -v c="$captured" -v s="$secs" 'BEGIN { if (s > 0) printf "%d", c / s; else print "-" }')
  printf '%-8s %10s %10s %12s %10s %10s %10s %10s %12s\n' \
    "$rate" "$sent" "${tr_pps%.*}" "$captured" "$kernel" "$vrx" "$queue" "$ifdown" "$cpps"
done
echo
echo "sent: packets tcpreplay sent; tcpreplay: its achieved pps; captured: mizuban's summary"
echo "packet count; kernel/queue/if_down: mizuban_drops_total by reason; veth_rx: the"
echo "receiving veth's rx_dropped (backlog overflow, included in kernel); captured_pps:"
echo "captured / tcpreplay's elapsed time. Logs in $WORK."
