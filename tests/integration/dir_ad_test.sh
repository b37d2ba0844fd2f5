#!/bin/sh
# tests/integration/dir_ad_test.sh - runs the Criterion suite dir_ad_test
# (libtdir's ad profile) against the Samba AD fixture
# (tests/fixtures/samba-ad.sh), started in a fresh directory and stopped
# afterwards. Same rules as samba_ad_test.sh: needs root, else SKIP (77);
# TESSERA_SKIP_SAMBA=1 skips; runs on one address wait for each other.
set -u

SRC=${TESSERA_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TESSERA_BUILDDIR:-$(pwd)}
FIXTURE=$SRC/tests/fixtures/samba-ad.sh
SUITE=$BUILD/tests/integration/dir_ad_test
IP=${FIXTURE_SAMBA_IP:-127.0.0.2}

skip() { echo "SKIP: $*"; echo "SKIP: $*" >&2; exit 77; }

[ "${TESSERA_SKIP_SAMBA:-0}" = 1 ] && skip "TESSERA_SKIP_SAMBA=1"
[ "$(id -u)" = 0 ] || skip "Samba AD needs root (LDAP port 389, provisioning)"
[ -x "$SUITE" ] || { echo "FAIL: $SUITE not built" >&2; exit 1; }

# one DC per address: the same lock as samba_ad_test.sh
lockdir=${TMPDIR:-/tmp}/tessera-samba-run
mkdir -m 0700 "$lockdir" 2>/dev/null
if [ -L "$lockdir" ] || [ ! -d "$lockdir" ] ||
    [ "$(stat -c %u:%a "$lockdir")" != 0:700 ]; then
	echo "FAIL: $lockdir is not root's alone" >&2
	exit 1
fi
exec 8>"$lockdir/$IP.lock"
if ! flock -w 600 8; then
	echo "FAIL: waited 10 min for $lockdir/$IP.lock" >&2
	exit 1
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tessera-dir-ad.XXXXXX") || exit 1
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	"$FIXTURE" stop "$DIR" 2>/dev/null
	if [ "${rc:-1}" = 0 ]; then
		rm -rf "$DIR"
	else
		echo "dir_ad_test: fixture kept in $DIR (samba.log)" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

envlines=$("$FIXTURE" start "$DIR")
rc=$?
[ $rc = 0 ] || { echo "FAIL: fixture start exited $rc" >&2; exit $rc; }
eval "$envlines"
"$SUITE"
rc=$?
exit $rc
