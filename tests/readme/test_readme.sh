#!/usr/bin/env bash
# The README's set-up works on a fresh copy of the tree: `make run` builds,
# makes var/, prints the client settings, and serves STARTTLS and implicit TLS
# on 127.0.0.1 to a real client (Python imaplib) logging in with the printed
# password; a second `make run` keeps the user; SIGTERM ends it cleanly.
# Uses its own ports (PETREL_IMAP_PORT/PETREL_IMAPS_PORT) so it never meets a
# developer's own `make run` on 1143/1993. Last line: `readme: N passed, N failed`.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
START_WAIT=480          # seconds for a from-scratch build and the listening lines
STOP_WAIT=10            # seconds for `make run` to exit after SIGTERM
passed=0
failed=0
make_pid=
TMP=$(mktemp -d "${TMPDIR:-/tmp}/petrel-readme.XXXXXX")

ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1${2:+: $2}"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

cleanup() {
	if [[ -n $make_pid ]] && kill -0 "$make_pid" 2>/dev/null; then
		kill -TERM -- "-$make_pid" 2>/dev/null
		sleep 1
		kill -KILL -- "-$make_pid" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

finish() {
	echo "readme: $passed passed, $failed failed"
	[[ $failed == 0 ]]
	exit
}

# The child processes of a pid, from /proc (no procps needed).
children_of() {
	local stat
	for stat in /proc/[0-9]*/stat; do
		sed -nE "s/^([0-9]+) \(.*\) . $1 .*/\1/p" "$stat" 2>/dev/null
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the README says how -------------------------------------------------
if [[ -f $REPO/README.md ]] && grep -q 'make run' "$REPO/README.md"; then
	ok "README.md tells to run 'make run'"
else
	fail "README.md tells to run 'make run'" "no README.md or no 'make run' in it"
fi

# --- a fresh copy: tracked and new files, without build/, var/ or .git -----
SRC=$TMP/petrel
mkdir -p "$SRC"
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -C "$SRC" -xf -)
else
	tar -C "$REPO" --exclude=./build --exclude=./var --exclude=./.git -cf - . | tar -C "$SRC" -xf -
fi
check "fresh copy has no build/ or var/" test ! -e "$SRC/build" -a ! -e "$SRC/var"

IMAP_PORT=$(free_port)
IMAPS_PORT=$(free_port)
while [[ $IMAPS_PORT == "$IMAP_PORT" ]]; do IMAPS_PORT=$(free_port); done

# start_run LOG: `make run` in its own process group; sets make_pid.
start_run() {
	(cd "$SRC" && PETREL_IMAP_PORT=$IMAP_PORT PETREL_IMAPS_PORT=$IMAPS_PORT \
		exec setsid make run </dev/null >"$1" 2>&1) &
	make_pid=$!
}

# wait_ready LOG: both listening lines, within START_WAIT seconds.
wait_ready() {
	local i
	for ((i = 0; i < START_WAIT * 5; i++)); do
		if grep -q "listening imap 127.0.0.1:$IMAP_PORT" "$1" &&
			grep -q "listening imaps 127.0.0.1:$IMAPS_PORT" "$1"; then
			return 0
		fi
		kill -0 "$make_pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# stop_run: SIGTERM to the server only (as a service manager would); make
# must then exit 0 within STOP_WAIT seconds.
stop_run() {
	local server i
	server=$(children_of "$make_pid" | head -n 1)
	if [[ -z $server ]] || ! tr '\0' ' ' <"/proc/$server/cmdline" | grep -q 'petrel serve'; then
		return 1
	fi
	kill -TERM "$server"
	for ((i = 0; i < STOP_WAIT * 10; i++)); do
		kill -0 "$make_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$make_pid" 2>/dev/null; then
		return 1
	fi
	wait "$make_pid"
	local code=$?
	make_pid=
	return $code
}

# login PORT_KIND PASSWORD: imaplib over STARTTLS or implicit TLS, trusting var/tls/cert.pem.
login() {
	python3 - "$1" "$2" "$SRC/var/tls/cert.pem" "$IMAP_PORT" "$IMAPS_PORT" <<'PY'
import imaplib, ssl, sys
kind, password, cafile, imap_port, imaps_port = sys.argv[1:]
ctx = ssl.create_default_context(cafile=cafile)
if kind == "starttls":
    m = imaplib.IMAP4("127.0.0.1", int(imap_port), timeout=10)
    m.starttls(ssl_context=ctx)
else:
    m = imaplib.IMAP4_SSL("127.0.0.1", int(imaps_port), ssl_context=ctx, timeout=10)
assert m.login("me", password)[0] == "OK"
assert m.logout()[0] == "BYE"
PY
}

# --- first run -------------------------------------------------------------
LOG1=$TMP/run1.log
start_run "$LOG1"
if ! wait_ready "$LOG1"; then
	fail "make run starts a server on the given ports" "$(tail -n 20 "$LOG1" | tr '\n' '|')"
	finish
fi
ok "make run starts a server on the given ports"

password=$(sed -nE 's/^[[:space:]]*password:[[:space:]]+([^[:space:](]+).*/\1/p' "$LOG1" | head -n 1)
check "prints the user name" grep -qE '^[[:space:]]*user:[[:space:]]+me$' "$LOG1"
check "prints a password" test -n "$password"
check "prints the server address" grep -qE '^[[:space:]]*server:[[:space:]]+127\.0\.0\.1' "$LOG1"
check "prints the STARTTLS port" grep -qE "$IMAP_PORT.*STARTTLS" "$LOG1"
check "prints the SSL/TLS port" grep -qE "$IMAPS_PORT.*SSL/TLS" "$LOG1"
check "says the certificate is self-signed" grep -qi "self-signed" "$LOG1"
check "creates var/data" test -d "$SRC/var/data"
check "creates a certificate" test -s "$SRC/var/tls/cert.pem" -a -s "$SRC/var/tls/key.pem"
check "stores the password nowhere in var/ in plain" bash -c "! grep -rqF -- '$password' '$SRC/var'"
check "imaplib STARTTLS login with the printed password" login starttls "$password"
check "imaplib SSL/TLS login with the printed password" login imaps "$password"
check "SIGTERM ends make run with status 0" stop_run
cp "$SRC/var/tls/cert.pem" "$TMP/cert-first.pem" 2>/dev/null

# --- second run: same user, same password, no new one ------------------------
LOG2=$TMP/run2.log
start_run "$LOG2"
if ! wait_ready "$LOG2"; then
	fail "second make run starts" "$(tail -n 20 "$LOG2" | tr '\n' '|')"
	finish
fi
check "second run says the user exists and how to reset it" \
	grep -q "user passwd me --data var/data" "$LOG2"
check "second run prints no new password" bash -c "! grep -qF -- '$password' '$LOG2'"
check "second run keeps the certificate" cmp -s "$TMP/cert-first.pem" "$SRC/var/tls/cert.pem"
check "the first password still works" login imaps "$password"
check "SIGTERM ends the second make run with status 0" stop_run

# --- Ctrl-C, as the README says: SIGINT to the whole foreground group ------
LOG3=$TMP/run3.log
start_run "$LOG3"
if wait_ready "$LOG3"; then
	kill -INT -- "-$make_pid"
	for ((i = 0; i < STOP_WAIT * 10; i++)); do
		[[ -z $(children_of "$make_pid") ]] && ! kill -0 "$make_pid" 2>/dev/null && break
		sleep 0.1
	done
	if kill -0 "$make_pid" 2>/dev/null; then
		fail "Ctrl-C stops make run" "still running after ${STOP_WAIT}s"
	else
		wait "$make_pid" 2>/dev/null
		make_pid=
		check "Ctrl-C stops the server cleanly" grep -q "shutting down" "$LOG3"
	fi
else
	fail "third make run starts" "$(tail -n 20 "$LOG3" | tr '\n' '|')"
fi

finish
