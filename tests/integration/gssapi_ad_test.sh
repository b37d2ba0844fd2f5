#!/bin/sh
# tests/integration/gssapi_ad_test.sh - Kerberos sign-on in an Active
# Directory realm: Samba AD's own KDC issues the tickets, the service keys
# come from the DC (samba-tool exportkeytab of smtp/localhost,
# pop/localhost and imap/localhost, tests/fixtures/samba-ad-seed.py), and
# mtad and accessd map the principal to its entry with the ad profile
# (userPrincipalName).
#
# Checked with real clients: alice (ticket from the AD KDC by password)
# signs on to submission with Cyrus's smtptest and to IMAP with imtest
# (AUTHENTICATE GSSAPI, the AD ticket sent with SASL-IR), and submits with
# msmtp (auth gssapi) to bob, whose mailbox is found by proxyAddresses;
# bob signs on to POP3 with pop3test and to IMAP with imtest and reads
# it; without a ticket nothing signs on; carol, disabled in AD, gets no
# ticket at all (the AD KDC refuses her before the daemons see her).
# Last, a second accessd whose lookup process binds to AD by Kerberos
# (bind_method = gssapi, a keytab for the tessera-ldap service account,
# no password; AD answers no anonymous search) signs bob on to IMAP.
#
# Needs root (the Samba fixture does); otherwise SKIP (exit 77), as does
# TESSERA_SKIP_SAMBA=1. Serialised with other Samba runs on the same
# address by the lock samba_ad_test.sh uses.
set -u

SRC=${TESSERA_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TESSERA_BUILDDIR:-$(pwd)}
FIXTURE=$SRC/tests/fixtures/samba-ad.sh
IP=${FIXTURE_SAMBA_IP:-127.0.0.2}
SMTPTEST=/usr/lib/cyrus/bin/smtptest
POP3TEST=/usr/lib/cyrus/bin/pop3test
IMTEST=/usr/lib/cyrus/bin/imtest

skip() { echo "SKIP: $*"; echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; rc=1; exit 1; }

[ "${TESSERA_SKIP_SAMBA:-0}" = 1 ] && skip "TESSERA_SKIP_SAMBA=1"
[ "$(id -u)" = 0 ] || skip "Samba AD needs root (LDAP port 389, provisioning)"
for p in "$SMTPTEST" "$POP3TEST" "$IMTEST" msmtp kinit; do
	command -v "$p" >/dev/null 2>&1 || fail "$p not found (./quickstart installs it)"
done
for p in mtad/mtad accessd/accessd; do
	[ -x "$BUILD/$p" ] || fail "$BUILD/$p not built"
done

lockdir=${TMPDIR:-/tmp}/tessera-samba-run
mkdir -m 0700 "$lockdir" 2>/dev/null
if [ -L "$lockdir" ] || [ ! -d "$lockdir" ] ||
    [ "$(stat -c %u:%a "$lockdir")" != 0:700 ]; then
	fail "$lockdir is not root's alone"
fi
exec 8>"$lockdir/$IP.lock"
flock -w 600 8 || fail "waited 10 min for $lockdir/$IP.lock"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tessera-gssapi-ad.XXXXXX") || exit 1
mtad=
accessd=
accessd2=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	[ -n "$mtad" ] && kill "$mtad" 2>/dev/null && wait "$mtad" 2>/dev/null
	[ -n "$accessd" ] && kill "$accessd" 2>/dev/null &&
	    wait "$accessd" 2>/dev/null
	[ -n "$accessd2" ] && kill "$accessd2" 2>/dev/null &&
	    wait "$accessd2" 2>/dev/null
	"$FIXTURE" stop "$DIR/samba" 2>/dev/null
	if [ "${rc:-1}" = 0 ]; then
		rm -rf "$DIR"
	else
		echo "gssapi_ad_test: kept $DIR (mtad.log, accessd.log, samba/)" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

envlines=$("$FIXTURE" start "$DIR/samba") || fail "Samba fixture did not start"
eval "$envlines"

python() {
	if [ -x /usr/bin/python3 ]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}
# six free loopback ports, held together while chosen
set -- $(python -c 'import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
SUB=$1 LMTP=$2 POP=$3 IMAP=$4 LMTP2=$5 IMAP2=$6

mkdir "$DIR/run" "$DIR/mail" "$DIR/rcache"
cp "${AD_KTNAME#FILE:}" "$DIR/mail.keytab"
printf '%s\n' "$AD_BIND_PASSWORD" >"$DIR/bind.secret"
chmod 600 "$DIR/mail.keytab" "$DIR/bind.secret"
chown nobody "$DIR/run" "$DIR/mail" "$DIR/rcache" "$DIR/mail.keytab" \
    "$DIR/bind.secret"
chmod 755 "$DIR"
cat >"$DIR/tessera.conf" <<EOF
[global]
run_dir = $DIR/run
state_dir = $DIR/run
user = nobody
directory_user = nobody
log_level = debug
shutdown_grace = 1s
[directory]
profile = ad
uris = $AD_LDAP_URI
base_dn = $AD_BASEDN
# Active Directory has no entry per mail domain: local domains are listed
accepted_domains = ad.example.test
starttls = yes
ca_file = $AD_CACERT
bind_dn = $AD_BIND_DN
bind_password_file = $DIR/bind.secret
[sasl]
mechanisms = GSSAPI
keytab = $DIR/mail.keytab
hostname = localhost
allowed_realms = $AD_REALM
[mtad]
hostname = mx.ad.example.test
lmtp_host = 127.0.0.1
lmtp_port = $LMTP
[mtad.listener.sub]
port = $SUB
type = submission
[accessd]
hostname = mail.ad.example.test
[accessd.store]
mail_root = $DIR/mail
fsync = no
[accessd.listener.lmtp]
port = $LMTP
type = lmtp
[accessd.listener.pop3]
port = $POP
type = pop3
[accessd.listener.imap]
port = $IMAP
type = imap
EOF

# the daemons: the AD realm's krb5.conf, a replay cache of their own
denv="env -u KRB5_KTNAME -u KRB5_CLIENT_KTNAME -u KRB5CCNAME KRB5_CONFIG=$AD_KRB5_CONFIG KRB5RCACHEDIR=$DIR/rcache"
$denv "$BUILD/accessd/accessd" -c "$DIR/tessera.conf" -f \
    >"$DIR/accessd.log" 2>&1 </dev/null &
accessd=$!
$denv "$BUILD/mtad/mtad" -c "$DIR/tessera.conf" -f \
    >"$DIR/mtad.log" 2>&1 </dev/null &
mtad=$!
for port in $SUB $LMTP $POP $IMAP; do
	i=0
	until python -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "nothing listens on $port (see $DIR/*.log)"
		sleep 0.1
	done
done

# a client's environment: the AD realm, its own ticket cache
cenv() { echo "env -u KRB5_CLIENT_KTNAME -u KRB5_KTNAME KRB5_CONFIG=$AD_KRB5_CONFIG KRB5CCNAME=FILE:$DIR/$1.cc"; }
ticket() {
	printf '%s\n' "$AD_USER_PASSWORD" | $(cenv "$1") kinit "$1@$AD_REALM" \
	    >"$DIR/kinit-$1.out" 2>&1
}
logged() { grep -F -e "$2" "$DIR/$1" | grep -q -F -e "$3"; }

ticket alice || fail "kinit alice@$AD_REALM: $(cat "$DIR/kinit-alice.out")"
ticket bob || fail "kinit bob@$AD_REALM: $(cat "$DIR/kinit-bob.out")"

# 1. alice signs on to submission
out=$($(cenv alice) "$SMTPTEST" -m GSSAPI -p "$SUB" localhost </dev/null 2>&1)
printf '%s\n' "$out" | grep -q '^S: 235 2.7.0' ||
    fail "smtptest as alice: $out"
logged mtad.log "principal=alice@$AD_REALM" \
    "mech=GSSAPI user=alice entry=CN=Alice Liddell,OU=People,$AD_BASEDN" ||
    fail "mtad did not log alice's entry: $(grep -a auth "$DIR/mtad.log")"
echo "ok: smtptest signs alice@$AD_REALM on as CN=Alice Liddell"

# 1b. alice signs on to IMAP (the AD ticket, PAC and all, in the
# AUTHENTICATE command: SASL-IR)
printf '. LOGOUT\r\n' >"$DIR/imap-logout.cmds"
out=$($(cenv alice) "$IMTEST" -m GSSAPI -p "$IMAP" -f "$DIR/imap-logout.cmds" \
    localhost </dev/null 2>&1)
printf '%s\n' "$out" | grep -q 'AUTHENTICATE GSSAPI YII' ||
    fail "imtest as alice sent no initial response: $out"
printf '%s\n' "$out" | grep -q 'OK \[CAPABILITY.*Logged in' ||
    fail "imtest as alice: $out"
logged accessd.log "login user=alice" \
    "CN=Alice Liddell,OU=People,$AD_BASEDN" ||
    fail "accessd did not log alice's entry: $(grep -a login "$DIR/accessd.log")"
echo "ok: imtest signs alice@$AD_REALM on to IMAP as CN=Alice Liddell"

# 2. no ticket, no sign-on
out=$($(cenv nobody) "$SMTPTEST" -m GSSAPI -p "$SUB" localhost </dev/null 2>&1)
printf '%s\n' "$out" | grep -q '^S: 235' && fail "signed on without a ticket: $out"
out=$($(cenv nobody) "$IMTEST" -m GSSAPI -p "$IMAP" -f "$DIR/imap-logout.cmds" \
    localhost </dev/null 2>&1)
printf '%s\n' "$out" | grep -q 'Logged in' &&
    fail "signed on to IMAP without a ticket: $out"
echo "ok: no ticket, no sign-on (SMTP, IMAP)"

# 3. carol is disabled in AD: its KDC gives her no ticket
ticket carol && fail "the AD KDC gave disabled carol a ticket"
echo "ok: disabled carol gets no ticket ($(tail -n 1 "$DIR/kinit-carol.out"))"

# 4. alice submits to bob with msmtp; bob reads it with pop3test
subject="Kerberos in AD $$"
printf 'From: alice@ad.example.test\nTo: bob@ad.example.test\nSubject: %s\n\nsigned on once\n' \
    "$subject" | $(cenv alice) msmtp --host=localhost --port="$SUB" \
    --tls=off --auth=gssapi --user=alice --from=alice@ad.example.test \
    bob@ad.example.test >"$DIR/msmtp.out" 2>&1 ||
    fail "msmtp as alice: $(cat "$DIR/msmtp.out")"
printf 'LIST\r\nTOP 1 0\r\nQUIT\r\n' >"$DIR/pop.cmds"
i=0
while :; do
	out=$($(cenv bob) "$POP3TEST" -m GSSAPI -p "$POP" -f "$DIR/pop.cmds" \
	    localhost </dev/null 2>&1)
	printf '%s\n' "$out" | grep -q "+OK Logged in" ||
	    fail "pop3test as bob: $out"
	printf '%s\n' "$out" | grep -q "Subject: $subject" && break
	i=$((i + 1))
	[ $i -le 50 ] || fail "the message did not reach bob: $out"
	sleep 0.2
done
logged accessd.log "login user=bob" "CN=Bob Builder,OU=People,$AD_BASEDN" ||
    fail "accessd did not log bob's entry"
echo "ok: msmtp (alice) -> mtad -> LMTP -> pop3test (bob), all by Kerberos"

# 5. and bob reads it over IMAP with imtest, by Kerberos too
printf '. SELECT INBOX\r\n. FETCH 1:* BODY.PEEK[]\r\n. LOGOUT\r\n' \
    >"$DIR/imap-read.cmds"
out=$($(cenv bob) "$IMTEST" -m GSSAPI -p "$IMAP" -f "$DIR/imap-read.cmds" \
    localhost </dev/null 2>&1)
printf '%s\n' "$out" | grep -q 'Logged in' || fail "imtest as bob: $out"
printf '%s\n' "$out" | grep -q "Subject: $subject" ||
    fail "bob's IMAP FETCH lacks the message: $out"
printf '%s\n' "$out" | grep -q "signed on once" ||
    fail "bob's IMAP FETCH lacks the body: $out"
echo "ok: imtest (bob) reads alice's message over IMAP by Kerberos"

# 6. the lookup process binds to AD by Kerberos. The DC gets the service
# principal its LDAP server answers to (ldap/IP: the URI's host as
# written), the service account tessera-ldap a keytab made from its
# password (salt asked of the KDC). Samba refuses SASL sign/seal inside
# TLS, so this bind runs on plain LDAP, protected by GSSAPI's own layer.
samba-tool spn add "ldap/$IP" 'DC1$' -s "$AD_SMB_CONF" >"$DIR/spn.out" 2>&1 ||
    fail "samba-tool spn add ldap/$IP: $(cat "$DIR/spn.out")"
printf 'addent -password -p tessera-ldap@%s -k 1 -e aes256-cts-hmac-sha1-96 -f\n%s\nwkt %s\nquit\n' \
    "$AD_REALM" "$AD_BIND_PASSWORD" "$DIR/dir.keytab" |
    env KRB5_CONFIG="$AD_KRB5_CONFIG" ktutil >"$DIR/ktutil.out" 2>&1
[ -s "$DIR/dir.keytab" ] || fail "ktutil wrote no keytab: $(cat "$DIR/ktutil.out")"
chmod 600 "$DIR/dir.keytab"
chown nobody "$DIR/dir.keytab"
mkdir "$DIR/run2"
chown nobody "$DIR/run2"
sed -e "/^bind_dn = /d" -e "/^bind_password_file = /d" \
    -e "s|^starttls = yes|starttls = no\nbind_method = gssapi\nbind_keytab = $DIR/dir.keytab|" \
    -e "s|^run_dir = .*|run_dir = $DIR/run2|" -e "s|^state_dir = .*|state_dir = $DIR/run2|" \
    -e "/^\[accessd.listener.pop3\]/,/^type = pop3/d" \
    -e "s|^port = $LMTP\$|port = $LMTP2|" -e "s|^port = $IMAP\$|port = $IMAP2|" \
    "$DIR/tessera.conf" >"$DIR/tessera-gss.conf"
grep -q '^bind_method = gssapi' "$DIR/tessera-gss.conf" ||
    fail "no gssapi configuration: $(cat "$DIR/tessera-gss.conf")"
$denv "$BUILD/accessd/accessd" -c "$DIR/tessera-gss.conf" -f \
    >"$DIR/accessd-gss.log" 2>&1 </dev/null &
accessd2=$!
i=0
until python -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$IMAP2" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "nothing listens on $IMAP2 (see $DIR/accessd-gss.log)"
	sleep 0.1
done
out=$($(cenv bob) "$IMTEST" -m GSSAPI -p "$IMAP2" -f "$DIR/imap-read.cmds" \
    localhost </dev/null 2>&1)
printf '%s\n' "$out" | grep -q 'Logged in' ||
    fail "imtest as bob with a Kerberos-bound lookup process: $out $(tail -n 20 "$DIR/accessd-gss.log")"
logged accessd-gss.log "login user=bob" "CN=Bob Builder,OU=People,$AD_BASEDN" ||
    fail "accessd (gssapi bind) did not log bob's entry"
printf '%s\n' "$out" | grep -q "Subject: $subject" ||
    fail "bob's mailbox through the second accessd lacks the message: $out"
echo "ok: the lookup process binds to AD by Kerberos (no password); bob signs on"
rc=0
exit 0
