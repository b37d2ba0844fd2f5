/*
 * admin/admin_args.h - validation of what an administrator types: mail
 * addresses, domain and host names, display names, sizes.
 *
 * Pure functions over bytes (no globals, no I/O), so the fuzz target
 * tests/fuzz/admin_args_fuzz.c drives the same code as the command.
 * Anything accepted here is ASCII the directory's IA5 attributes hold.
 */
#ifndef ADMIN_ADMIN_ARGS_H
#define ADMIN_ADMIN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 limits. */
#define ADMIN_LOCAL_MAX 64
#define ADMIN_DOMAIN_MAX 253
#define ADMIN_ADDRESS_MAX 320
#define ADMIN_LABEL_MAX 63
/* Longest display name. */
#define ADMIN_NAME_MAX 256

/* Is s[0..len) a domain name: dot-separated labels of letters, digits
 * and '-' (not at a label's ends), 1..63 bytes each, 1..253 in all, at
 * least two labels? NULL when valid, else a static reason. */
const char *admin_domain_check(const char *s, size_t len);
/* Is s[0..len) local@domain: a dot-atom local part (RFC 5322 atext and
 * inner single dots, 1..64 bytes) and admin_domain_check's domain?
 * NULL when valid, else a static reason. */
const char *admin_address_check(const char *s, size_t len);
/* A host name (mail host): like a domain, but one label is enough. */
const char *admin_host_check(const char *s, size_t len);
/* A display name: 1..ADMIN_NAME_MAX bytes, no control byte, valid
 * UTF-8, not only blanks. NULL when valid, else a static reason. */
const char *admin_name_check(const char *s, size_t len);

/* Parse a size: digits with an optional k/m/g/t suffix (powers of 1024,
 * any case, an optional trailing 'b'/'B', "none" = 0), at most max.
 * 0 with *out, or -1 with a static reason in *why. */
int admin_size_parse(const char *s, size_t len, uint64_t max, uint64_t *out,
    const char **why);

#endif
