#!/usr/bin/env python3
# tests/integration/milter_send.py - sends one message file over SMTP for
# the milter end-to-end tests (milter_e2e_test.c, milter_interop_test.c)
# and prints every reply, so the test sees the verdict given at the end
# of DATA by whatever milters the server runs.
#
#   milter_send.py PORT FROM TO FILE
#     prints "EHLO code", "MAIL code text", "RCPT code text" and, when the
#     recipient was accepted, "DATA code text" (the reply to the final
#     dot; text joined with spaces). The file is sent as it is, with
#     lines ending in CRLF and leading dots doubled (smtplib), with
#     BODY=8BITMIME when it holds 8-bit bytes and the server offers it.
# Talks to 127.0.0.1 only. Exit status 0 unless the script itself failed.
import re
import smtplib
import sys


def text(b):
    return b.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")


def main():
    port, sender, rcpt, path = sys.argv[1:5]
    with open(path, "rb") as f:
        msg = re.sub(rb"\r?\n|\r", b"\r\n", f.read())
    c = smtplib.SMTP("127.0.0.1", int(port), timeout=60)
    code, _ = c.ehlo("client.example.net")
    print("EHLO %d" % code, flush=True)
    opts = []
    if any(b > 127 for b in msg) and c.has_extn("8bitmime"):
        opts.append("BODY=8BITMIME")
    code, resp = c.mail(sender, opts)
    print("MAIL %d %s" % (code, text(resp)), flush=True)
    if code != 250:
        c.quit()
        return
    code, resp = c.rcpt(rcpt)
    print("RCPT %d %s" % (code, text(resp)), flush=True)
    if code not in (250, 251):
        c.quit()
        return
    try:
        code, resp = c.data(msg)
    except smtplib.SMTPDataError as e:
        code, resp = e.smtp_code, e.smtp_error
    print("DATA %d %s" % (code, text(resp)), flush=True)
    c.quit()


if __name__ == "__main__":
    main()
