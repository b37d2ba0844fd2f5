#!/bin/sh
# tests/fuzz/run-fuzz.sh - coverage-guided fuzzing of every target with
# clang's libFuzzer, ASan and UBSan.  Usage: run-fuzz.sh SRCDIR [SECONDS]
# Builds the libraries with clang into SRCDIR/build-fuzz, then runs each
# tests/fuzz/*_fuzz.c (with the program sources its _SOURCES in
# tests/fuzz/fuzz.am or the program's .am name) for SECONDS (default 60)
# from its seeds; new
# crashing inputs are left in build-fuzz/crashes/<target>/. A crash does
# not stop the other targets; the exit status is 1 if any target crashed.
set -eu
src=$1; secs=${2:-60}
b=$src/build-fuzz
mkdir -p "$b"
if [ ! -f "$b/Makefile" ]; then
	(cd "$b" && CC=clang "$src/configure" -q --enable-sanitizers --disable-werror \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link")
fi
make -s -C "$b" libtcore.a libtdir.a libtqueue.a libtstore.a libtmtad.a libtspam.a
flags=$(cd "$b" && MAKEFLAGS='' make --no-print-directory -s -f Makefile -f - print-flags <<'MK'
print-flags:
	@echo $(TCORE_CFLAGS) $(LDAP_CFLAGS) '|' $(GNUTLS_LIBS) $(SASL_LIBS) $(KRB5_LIBS) $(INIH_LIBS) $(IDN2_LIBS) $(UNBOUND_LIBS) $(LDAP_LIBS) -lpthread
MK
)
cflags=${flags%%|*}; libs=${flags#*|}
status=0
for t in "$src"/tests/fuzz/*_fuzz.c; do
	name=$(basename "$t" .c)
	seeds=$src/tests/fuzz/seeds/${name%_fuzz}
	mkdir -p "$b/crashes/$name" "$b/corpus/$name"
	# the program sources a target compiles besides the libraries (its
	# _SOURCES in the Makefile, less the target, the driver and headers)
	var=tests_fuzz_${name}_SOURCES
	extra=$(cd "$b" && MAKEFLAGS='' make --no-print-directory -s -f Makefile -f - print-sources <<MK
print-sources:
	@echo \$($var)
MK
)
	srcs=
	for f in $extra; do
		case $f in
		*.c) [ "$f" = "tests/fuzz/$name.c" ] ||
			[ "$f" = tests/fuzz/driver.c ] || srcs="$srcs $src/$f" ;;
		esac
	done
	# shellcheck disable=SC2086
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -I"$src" -I"$b" $cflags \
		"$t" $srcs "$b/libtmtad.a" "$b/libtspam.a" "$b/libtqueue.a" "$b/libtstore.a" \
		"$b/libtdir.a" "$b/libtcore.a" $libs -lm -o "$b/$name"
	then
		echo "$name: does not build" >&2
		status=1
		continue
	fi
	echo "fuzzing $name for ${secs}s"
	if ! "$b/$name" -max_total_time="$secs" \
		-artifact_prefix="$b/crashes/$name/" "$b/corpus/$name" "$seeds"
	then
		echo "$name: crashed, input in $b/crashes/$name/" >&2
		status=1
	fi
done
exit $status
