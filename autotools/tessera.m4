dnl autotools/tessera.m4 - Tessera's own configure macros.
dnl Each dependency check names the Debian package that provides it.

dnl TESSERA_REQUIRE_PKG(VAR, MODULES, DEBIAN-PACKAGE)
dnl Find MODULES with pkg-config, set VAR_CFLAGS and VAR_LIBS, or stop with
dnl a message that names the Debian package to install.
AC_DEFUN([TESSERA_REQUIRE_PKG], [
	PKG_CHECK_MODULES([$1], [$2], [],
		[AC_MSG_ERROR([$2 not found: install the Debian package $3 (apt-get install $3)])])
])

dnl TESSERA_REQUIRE_PROG(VAR, NAME, EXTRA-PATH, DEBIAN-PACKAGE)
dnl Find program NAME in PATH or EXTRA-PATH, or stop naming the package.
AC_DEFUN([TESSERA_REQUIRE_PROG], [
	AC_PATH_PROG([$1], [$2], [], [$PATH:$3])
	AS_IF([test -z "$$1"],
		[AC_MSG_ERROR([$2 not found: install the Debian package $4 (apt-get install $4)])])
])
