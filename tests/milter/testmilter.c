/*
 * tests/milter/testmilter.c - a small real milter on Debian's libmilter
 * for mtad's milter tests (tests/integration/milter_test.c): what it
 * does is chosen by its MODE argument, and it logs what it saw (macros,
 * commands, header names, body size) one line per event to LOGFILE.
 *
 *   testmilter SOCKET MODE LOGFILE
 *     SOCKET  libmilter's form: inet:PORT@127.0.0.1 or unix:/PATH
 *     MODE    pass reject-rcpt tempfail reject-eom reject-ml (a
 *             multi-line reply) discard addheader
 *             chgheader delheader replbody addrcpt delrcpt chgfrom
 *             quarantine hang hang-helo exit bighdr manyedits, or
 *             garbage / huge / silent (a hand-written server, no
 *             libmilter: answers OPTNEG and every command with
 *             CONTINUE, then end of body with an unknown reply command,
 *             or a packet length of 2 GiB; or never answers OPTNEG)
 *
 * Runs as a test fixture only; it trusts nothing it gets but is not
 * hardened either.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/banned.h"

static const char *mode;
static FILE *logfp;

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
}

static const char *
sym(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL ? v : "-";
}

static bool
is(const char *m)
{
	return strcmp(mode, m) == 0;
}

static sfsistat
t_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)sa;
	say("connect host=%s client_addr=%s j=%s daemon_name=%s", host,
	    sym(ctx, "{client_addr}"), sym(ctx, "j"),
	    sym(ctx, "{daemon_name}"));
	return SMFIS_CONTINUE;
}

static sfsistat
t_helo(SMFICTX *ctx, char *helo)
{
	say("helo %s tls_version=%s", helo, sym(ctx, "{tls_version}"));
	if (is("hang-helo"))
		for (;;)
			sleep(3600);
	return SMFIS_CONTINUE;
}

static sfsistat
t_mail(SMFICTX *ctx, char **argv)
{
	say("mail %s mail_addr=%s auth_authen=%s", argv[0],
	    sym(ctx, "{mail_addr}"), sym(ctx, "{auth_authen}"));
	return SMFIS_CONTINUE;
}

static sfsistat
t_rcpt(SMFICTX *ctx, char **argv)
{
	say("rcpt %s rcpt_addr=%s", argv[0], sym(ctx, "{rcpt_addr}"));
	if (is("reject-rcpt") && strstr(argv[0], "bob@") != NULL) {
		smfi_setreply(ctx, "550", "5.7.1", "Recipient refused by"
		    " testmilter");
		return SMFIS_REJECT;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
t_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	say("header %s: %s", name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
t_eoh(SMFICTX *ctx)
{
	say("eoh i=%s", sym(ctx, "i"));
	return SMFIS_CONTINUE;
}

static size_t body_bytes, body_chunks;

static sfsistat
t_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	(void)ctx;
	(void)p;
	body_bytes += len;
	body_chunks++;
	if (is("exit")) {
		say("exiting mid-message");
		_exit(3);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
t_eom(SMFICTX *ctx)
{
	say("eom i=%s body=%zu", sym(ctx, "i"), body_bytes);
	say("chunks=%zu", body_chunks);
	body_bytes = body_chunks = 0;
	if (is("tempfail"))
		return SMFIS_TEMPFAIL;
	if (is("reject-eom")) {
		smfi_setreply(ctx, "554", "5.7.1", "Message refused by"
		    " testmilter");
		return SMFIS_REJECT;
	}
	if (is("discard"))
		return SMFIS_DISCARD;
	if (is("reject-ml")) {
		smfi_setmlreply(ctx, "550", "5.7.1", "Refused, line one",
		    "line two", NULL);
		return SMFIS_REJECT;
	}
	if (is("hang"))
		for (;;)
			sleep(3600);
	if (is("addheader")) {
		smfi_addheader(ctx, "X-Test-Milter", "added by testmilter");
		smfi_insheader(ctx, 0, "X-Test-First", "inserted\n\tfolded");
	}
	if (is("chgheader"))
		smfi_chgheader(ctx, "Subject", 1, "changed by testmilter");
	if (is("delheader"))
		smfi_chgheader(ctx, "Subject", 1, NULL);
	if (is("replbody")) {
		static unsigned char b[] = "replaced body\r\nline two\r\n";

		smfi_replacebody(ctx, b, sizeof(b) - 1);
	}
	if (is("addrcpt"))
		smfi_addrcpt(ctx, "<bob@example.test>");
	if (is("delrcpt"))
		smfi_delrcpt(ctx, "<bob@example.test>");
	if (is("chgfrom"))
		smfi_chgfrom(ctx, "<bounces@example.test>", NULL);
	if (is("quarantine"))
		smfi_quarantine(ctx, "testmilter says hold");
	if (is("bighdr")) {
		static char big[5001];

		memset(big, 'x', sizeof(big) - 1);
		smfi_addheader(ctx, "X-Big", big);
	}
	if (is("manyedits"))
		for (int i = 0; i < 5; i++)
			smfi_addheader(ctx, "X-Many", "one more");
	return SMFIS_CONTINUE;
}

static sfsistat
t_abort(SMFICTX *ctx)
{
	(void)ctx;
	say("abort");
	body_bytes = body_chunks = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
t_close(SMFICTX *ctx)
{
	(void)ctx;
	say("close");
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "testmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
	    SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_CHGFROM,
	.xxfi_connect = t_connect,
	.xxfi_helo = t_helo,
	.xxfi_envfrom = t_mail,
	.xxfi_envrcpt = t_rcpt,
	.xxfi_header = t_header,
	.xxfi_eoh = t_eoh,
	.xxfi_body = t_body,
	.xxfi_eom = t_eom,
	.xxfi_abort = t_abort,
	.xxfi_close = t_close,
};

/* The hand-written server of modes garbage and huge. */
static int
read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)p + got, n - got);

		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static void
put(int fd, char cmd, const void *p, uint32_t len)
{
	uint32_t n = htonl(len + 1);
	char hdr[5];

	memcpy(hdr, &n, 4);
	hdr[4] = cmd;
	if (write(fd, hdr, 5) != 5 || (len > 0 && write(fd, p, len) !=
	    (ssize_t)len))
		say("write failed");
}

static void
raw_session(int fd)
{
	static char pkt[1 << 20];

	for (;;) {
		uint32_t n;

		if (read_full(fd, &n, 4) == -1)
			return;
		n = ntohl(n);
		if (n == 0 || n > sizeof(pkt) || read_full(fd, pkt, n) == -1)
			return;
		say("raw command %c", pkt[0]);
		switch (pkt[0]) {
		case 'O': {
			if (is("silent"))
				for (;;)
					sleep(3600);
			uint32_t v[3] = { htonl(6), htonl(0), htonl(0) };

			put(fd, 'O', v, sizeof(v));
			break;
		}
		case 'D': case 'A':
			break;
		case 'Q':
			return;
		case 'E':
			if (is("huge")) {
				uint32_t big = htonl(0x7fffffffu);

				if (write(fd, &big, 4) != 4)
					return;
			} else
				put(fd, 'Z', "junk", 4);
			break;
		default:
			put(fd, 'c', NULL, 0);
		}
	}
}

static int
raw_server(const char *spec)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1, ls;
	unsigned port;

	if (sscanf(spec, "inet:%u@", &port) != 1)
		return 2;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(ls, 16) == -1)
		return 2;
	for (;;) {
		int fd = accept(ls, NULL, NULL);

		if (fd == -1)
			continue;
		raw_session(fd);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: testmilter SOCKET MODE LOGFILE\n");
		return 2;
	}
	mode = argv[2];
	logfp = fopen(argv[3], "a");
	if (logfp == NULL)
		return 2;
	/* libmilter takes seconds to notice SIGTERM: the parent takes it
	 * and ends the milter at once */
	{
		sigset_t set;
		pid_t pid;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		pid = fork();
		if (pid == -1)
			return 2;
		if (pid > 0) {
			sigwait(&set, &sig);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 0;
		}
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	if (is("garbage") || is("huge") || is("silent"))
		return raw_server(argv[1]);
	if (smfi_setconn(argv[1]) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(true) == MI_FAILURE) {
		fprintf(stderr, "testmilter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	say("ready mode=%s", mode);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
