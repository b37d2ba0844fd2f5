#!/usr/bin/env python3
# tests/integration/mtad_client.py - SMTP clients for the mtad integration
# tests (tests/integration/mtad_test.c): a raw dialogue driver that sends
# exactly the bytes given (bare LF, pipelining, BDAT) and prints every
# reply, and a Python smtplib sender (STARTTLS, implicit TLS, AUTH).
#
#   mtad_client.py raw PORT [--cafile F] [--source ADDR] STEP...
#     send:TEXT   write TEXT (backslash escapes \r \n \\ \xNN)
#     bytes:N:C   write N bytes of character C
#     read        read one reply, print "CODE TEXT" of its last line
#     tls         start TLS (after a 220), verifying with --cafile
#     eof         read until the server closes, print "EOF"
#   mtad_client.py smtplib PORT [--cafile F] [--starttls|--ssl]
#       [--login USER:PASS] --from A --to B [--to C] [--body TEXT]
#     prints "OK code text" or "ERR code text" and the exception class.
# Talks to 127.0.0.1 only. Exit status 0 unless the script itself failed.
import argparse
import smtplib
import socket
import ssl
import sys


def unescape(s):
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1")


def read_reply(f):
    last = None
    while True:
        line = f.readline()
        if not line:
            return None
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        last = line
        if len(line) < 4 or line[3] != "-":
            return last[:3] + " " + last[4:]


def raw(args):
    s = socket.create_connection(("127.0.0.1", args.port), timeout=20,
                                 source_address=(args.source, 0))
    f = s.makefile("rb")
    for step in args.steps:
        if step.startswith("send:"):
            s.sendall(unescape(step[5:]))
        elif step.startswith("bytes:"):
            _, n, c = step.split(":", 2)
            s.sendall(c.encode() * int(n))
        elif step == "read":
            r = read_reply(f)
            print(r if r is not None else "EOF", flush=True)
            if r is None:
                return
        elif step == "tls":
            ctx = ssl.create_default_context(cafile=args.cafile)
            s = ctx.wrap_socket(s, server_hostname="localhost")
            f = s.makefile("rb")
            print("TLS " + s.version(), flush=True)
        elif step == "eof":
            try:
                while f.readline():
                    pass
            except OSError:
                pass
            print("EOF", flush=True)
        else:
            raise SystemExit("unknown step " + step)
    s.close()


def send(args):
    ctx = ssl.create_default_context(cafile=args.cafile) if args.cafile \
        else None
    try:
        if args.ssl:
            c = smtplib.SMTP_SSL("127.0.0.1", args.port, timeout=20,
                                 context=ctx)
            c._host = "localhost"
        else:
            c = smtplib.SMTP("127.0.0.1", args.port, timeout=20)
        c.ehlo("client.example.net")
        if args.starttls:
            c._host = "localhost"
            c.starttls(context=ctx)
            c.ehlo("client.example.net")
        if args.login:
            user, pw = args.login.split(":", 1)
            c.login(user, pw)
        body = args.body.replace("\\n", "\r\n")
        msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: test\r\n\r\n%s\r\n" %
               (args.mail_from, args.to[0], body))
        code, text = c.mail(args.mail_from)
        print("MAIL %d %s" % (code, text.decode()), flush=True)
        if code != 250:
            return
        ok = 0
        for t in args.to:
            code, text = c.rcpt(t)
            print("RCPT %d %s" % (code, text.decode()), flush=True)
            ok += code == 250
        if ok == 0:
            return
        code, text = c.data(msg.encode())
        print("DATA %d %s" % (code, text.decode()), flush=True)
        c.quit()
    except smtplib.SMTPResponseException as e:
        print("ERR %d %s %s" % (e.smtp_code, e.smtp_error.decode(
            "utf-8", "replace"), type(e).__name__), flush=True)
    except smtplib.SMTPRecipientsRefused as e:
        for a, (code, text) in e.recipients.items():
            print("ERR %d %s rcpt" % (code, text.decode()), flush=True)
    except smtplib.SMTPException as e:
        print("ERR 0 %s %s" % (e, type(e).__name__), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["raw", "smtplib"])
    p.add_argument("port", type=int)
    p.add_argument("--cafile")
    p.add_argument("--source", default="127.0.0.1")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--ssl", action="store_true")
    p.add_argument("--login")
    p.add_argument("--from", dest="mail_from")
    p.add_argument("--to", action="append", default=[])
    p.add_argument("--body", default="hello")
    p.add_argument("steps", nargs="*")
    a = p.parse_intermixed_args()
    raw(a) if a.mode == "raw" else send(a)


if __name__ == "__main__":
    sys.exit(main())
