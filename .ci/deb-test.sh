#!/usr/bin/env bash
# The Debian package, tested as an operator would use it (issue 21): build, lintian,
# install, run the service's command the way its unit does, rotate its logs, upgrade
# with an edited conffile, remove, purge. Run as root on a Debian machine, from .ci/run.
#
# The CI machine has no systemd as PID 1, so `systemctl` cannot start the unit. What
# can run does: `systemd-analyze verify` on the installed unit, and the unit's own
# privilege model reproduced with setpriv (user mizuban, only CAP_NET_RAW and
# CAP_NET_ADMIN as ambient capabilities) capturing inside a network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
check() { echo "deb-test: ok: $*"; }
# "owner:group mode" of a path, e.g. "mizuban:mizuban 750".
perms() { stat -c '%U:%G %a' "$1"; }
expect_perms() {
  [ "$(perms "$1")" = "$2" ] || fail "$1 is $(perms "$1"), want $2"
  check "$1 $2"
}

# cargo-deb, pinned; built once per machine (about 1.5 minutes on 2 cores).
if ! cargo deb --version 2>/dev/null | grep -q '3\.8\.0'; then
  cargo install cargo-deb --locked --version 3.8.0
fi

if dpkg-query -W mizuban >/dev/null 2>&1; then
  echo "deb-test: purging a mizuban package left installed by an earlier run"
  dpkg --purge mizuban
fi

# 1. Build. Reuses the release dependencies `cargo bench --no-run` just built.
bash deploy/debian/build-deb.sh
deb="$target_dir/debian/mizuban_${version}-1_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "no package at $deb"
echo "deb-test: $(du -k "$deb" | cut -f1) KiB $deb"

# 2. lintian: no errors (the overrides are explained in deploy/debian/lintian-overrides).
lintian_rc=0
lintian --fail-on error "$deb" >"$target_dir/debian/lintian.txt" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$target_dir/debian/lintian.txt" || true
[ "$lintian_rc" = 0 ] || fail "lintian reports errors"
check "lintian: no errors"

# 3. Install.
dpkg -i "$deb"
[ "$(mizuban --version)" = "mizuban $version" ] || fail "mizuban --version: $(mizuban --version)"
check "$(mizuban --version)"
mizuban check-config /etc/mizuban/mizuban.toml
for page in mizuban mizuban-capture mizuban-replay mizuban-baseline-learn; do
  man -w "$page" >/dev/null || fail "man -w $page"
done
check "man -w: $(man -w mizuban)"
# The unit parses, its binary exists, and every directive is known to this systemd.
systemd-analyze verify /usr/lib/systemd/system/mizuban.service
check "systemd-analyze verify mizuban.service"
# The sandbox stays tight: systemd's own exposure score (shown 0.0 best to 10.0 worst,
# 2.2 when written; --threshold counts in tenths), offline as no manager is running.
security=$(systemd-analyze security --offline=yes --threshold=30 \
  /usr/lib/systemd/system/mizuban.service 2>&1) || fail "unit exposure above 3.0: $security"
check "$(tail -1 <<<"$security")"
bash -c 'source /usr/share/bash-completion/completions/mizuban && complete -p mizuban' >/dev/null \
  || fail "bash completion does not load"
[ -f /usr/share/zsh/vendor-completions/_mizuban ] || fail "no zsh completion"
check "bash and zsh completions installed"

# 4. The user, the directories and the files, with owners and modes.
getent passwd mizuban >/dev/null || fail "no user mizuban"
uid=$(id -u mizuban)
[ "$uid" -lt 1000 ] || fail "mizuban is not a system user (uid $uid)"
[ "$(getent passwd mizuban | cut -d: -f7)" = /usr/sbin/nologin ] || fail "mizuban has a login shell"
check "system user mizuban (uid $uid, no login shell)"
expect_perms /var/lib/mizuban "mizuban:mizuban 750"
expect_perms /var/log/mizuban "mizuban:mizuban 750"
expect_perms /etc/mizuban/mizuban.toml "root:root 644"
expect_perms /etc/logrotate.d/mizuban "root:root 644"
expect_perms /usr/bin/mizuban "root:root 755"
expect_perms /usr/lib/systemd/system/mizuban.service "root:root 644"
expect_perms /usr/share/mizuban/prometheus/mizuban-rules.yml "root:root 644"
expect_perms /usr/share/mizuban/grafana/mizuban-dashboard.json "root:root 644"
conffiles=$(dpkg-query -W -f='${Conffiles}' mizuban)
for f in /etc/mizuban/mizuban.toml /etc/logrotate.d/mizuban; do
  grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile"
done
check "conffiles: /etc/mizuban/mizuban.toml /etc/logrotate.d/mizuban"

# 5. The service's command as its unit runs it: user mizuban, no root, only the two
# capture capabilities, on the loopback of a namespace of our own (no real traffic).
ns="mzb-deb-$$"
ip netns add "$ns"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip -n "$ns" link set lo up
exec_cmd=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/mizuban.service)
log=$(mktemp)
# The unit's User=, UMask= and CapabilityBoundingSet=; exec all the way down, so that $!
# below is mizuban's own pid.
as_service() {
  umask 027
  exec ip netns exec "$ns" setpriv --reuid=mizuban --regid=mizuban --init-groups \
    --bounding-set=-all,+net_raw,+net_admin "$@"
}
# Without the capabilities the capture cannot open: they are needed, not decoration.
if (as_service --inh-caps=-all $exec_cmd -i lo) >"$log" 2>&1; then
  fail "capture started without CAP_NET_RAW"
fi
grep -q "opening interface lo" "$log" || fail "unexpected failure without caps: $(cat "$log")"
check "without CAP_NET_RAW the capture refuses to start"
(as_service --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin \
  $exec_cmd -i lo) >"$log" 2>&1 &
pid=$!
wait_for() { # what, command...
  local what=$1 i
  shift
  for i in $(seq 1 200); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || fail "mizuban exited while waiting for $what: $(cat "$log")"
    sleep 0.1
  done
  fail "timed out waiting for $what: $(cat "$log")"
}
wait_for "the capture to start" grep -q "capturing on lo" "$log"
expect_perms /var/log/mizuban/alerts.jsonl "mizuban:mizuban 640"
check "capture runs as mizuban with ambient CAP_NET_RAW/CAP_NET_ADMIN"

# 6. logrotate with the packaged configuration, then the SIGHUP its postrotate sends
# through `systemctl reload` (no systemd here: sent by hand). The rotated file keeps
# the old line; the service recreates alerts.jsonl itself, as its own user.
echo '{"type":"deb-test-marker"}' >>/var/log/mizuban/alerts.jsonl
logrotate --force --state "$(mktemp)" /etc/logrotate.d/mizuban
grep -q deb-test-marker /var/log/mizuban/alerts.jsonl.1 || fail "logrotate did not rotate"
[ ! -e /var/log/mizuban/alerts.jsonl ] || fail "logrotate left alerts.jsonl (copytruncate?)"
kill -HUP "$pid"
wait_for "alerts.jsonl to be reopened" test -e /var/log/mizuban/alerts.jsonl
expect_perms /var/log/mizuban/alerts.jsonl "mizuban:mizuban 640"
check "logrotate + SIGHUP: a new alerts.jsonl"

kill -TERM "$pid"
wait "$pid" || fail "mizuban did not exit 0 on SIGTERM: $(cat "$log")"
pid=
expect_perms /var/lib/mizuban/state.json "mizuban:mizuban 640"
check "SIGTERM: exit 0, state saved as mizuban"

# 7. Upgrade to a new revision with an edited conffile: the edit survives, and so do
# the state and the logs.
echo '# edited by deb-test' >>/etc/mizuban/mizuban.toml
# (Its own directory: cargo-deb also clears target/debian/, where -1 was.)
deb2="$target_dir/debian-upgrade/mizuban_${version}-2.deb"
cargo deb --no-build --locked --fast --strip --deb-revision 2 --output "$deb2"
dpkg -i --force-confold "$deb2"
[ "$(dpkg-query -W -f='${Version}' mizuban)" = "${version}-2" ] || fail "upgrade did not happen"
grep -q 'edited by deb-test' /etc/mizuban/mizuban.toml || fail "upgrade lost the edited conffile"
[ -e /var/lib/mizuban/state.json ] || fail "upgrade lost the state"
expect_perms /var/lib/mizuban "mizuban:mizuban 750"
check "upgrade keeps the edited conffile and the state"
# Without --force-confold too: dpkg keeps an edited conffile whose packaged version
# did not change, without asking.
dpkg -i "$deb2" </dev/null
grep -q 'edited by deb-test' /etc/mizuban/mizuban.toml || fail "reinstall lost the edited conffile"

# 8. Remove keeps configuration, state and user; purge leaves nothing.
dpkg --remove mizuban
[ ! -e /usr/bin/mizuban ] || fail "remove left the binary"
[ -e /etc/mizuban/mizuban.toml ] && [ -d /var/lib/mizuban ] && getent passwd mizuban >/dev/null \
  || fail "remove took configuration, state or user"
check "remove keeps configuration, state and user"
dpkg --purge mizuban
# Not counted: the checkout and the target dir (they may be under /var), and man-db's
# formatted-page cache, which is man-db's (it drops pages whose source is gone).
left=$(find /etc /usr /var /run -name '*mizuban*' 2>/dev/null \
  | grep -v -e "^$(pwd -P)" -e "^$(realpath "$target_dir")" -e '^/var/cache/man/' || true)
[ -z "$left" ] || fail "purge left: $left"
! getent passwd mizuban >/dev/null || fail "purge left the user"
! getent group mizuban >/dev/null || fail "purge left the group"
dpkg-query -W mizuban >/dev/null 2>&1 && fail "purge left the package known to dpkg"
check "purge leaves no file, user or group"
echo "deb-test: all checks passed"
