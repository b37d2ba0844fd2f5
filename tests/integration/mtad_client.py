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
#   mtad_client.py load PORT --clients N --seconds S --out FILE
#     N threads send messages (random bodies, 4-40 KB) to alice@ for S
#     seconds, reconnecting when the server goes away; each message that
#     got 250 is recorded in FILE as "QUEUE-ID SHA256-OF-MESSAGE" at once.
#   mtad_client.py bench PORT --clients N --seconds S --size BYTES
#     N sessions send BYTES-sized messages for S seconds, one session
#     each, and print messages/s with p50/p99 latency of MAIL..250 (a
#     measurement, not a test: see docs/mtad.8).
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


def load(args):
    import hashlib
    import os
    import threading
    import time

    deadline = time.time() + args.seconds
    lock = threading.Lock()
    out = open(args.out, "a")
    counts = {"ok": 0, "fail": 0}

    def more():
        return time.time() < deadline and (
            args.max == 0 or counts["ok"] < args.max)

    def worker(n):
        while more():
            try:
                c = smtplib.SMTP("127.0.0.1", args.port, timeout=10)
                c.ehlo("load%d.example" % n)
                while more():
                    body = os.urandom(int.from_bytes(os.urandom(2), "big")
                                      % 36000 + 4000).hex()
                    lines = "\r\n".join(body[i:i + 76]
                                         for i in range(0, len(body), 76))
                    msg = ("Subject: load %d\r\n\r\n%s\r\n" %
                           (n, lines)).encode()
                    c.mail("load@elsewhere.example")
                    c.rcpt("alice@example.test")
                    code, text = c.data(msg)
                    if code == 250:
                        qid = text.decode().split()[-1]
                        with lock:
                            out.write("%s %s\n" % (
                                qid, hashlib.sha256(msg).hexdigest()))
                            out.flush()
                            counts["ok"] += 1
            except (OSError, smtplib.SMTPException):
                with lock:
                    counts["fail"] += 1
                time.sleep(0.05)

    ts = [threading.Thread(target=worker, args=(i,))
          for i in range(args.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.close()
    print("LOAD ok=%d broken=%d" % (counts["ok"], counts["fail"]))


def bench(args):
    import threading
    import time

    line = "x" * 76 + "\r\n"
    msg = ("Subject: bench\r\n\r\n" + line * max(1, args.size // 78)
           ).encode()
    deadline = time.time() + args.seconds
    lat = []
    lock = threading.Lock()

    def worker(n):
        c = smtplib.SMTP("127.0.0.1", args.port, timeout=30)
        c.ehlo("bench%d.example" % n)
        mine = []
        while time.time() < deadline:
            t0 = time.monotonic()
            c.mail("bench@elsewhere.example")
            c.rcpt("alice@example.test")
            code, _ = c.data(msg)
            if code == 250:
                mine.append(time.monotonic() - t0)
        c.quit()
        with lock:
            lat.extend(mine)

    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(i,))
          for i in range(args.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.time() - t0
    lat.sort()
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
           if lat else 0)
    print("| %3d | %7d | %6d | %8.1f | %7.1f | %7.1f |" % (
        args.clients, len(msg), len(lat), len(lat) / took, pct(0.5),
        pct(0.99)), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["raw", "smtplib", "load", "bench"])
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--seconds", type=float, default=1)
    p.add_argument("--max", type=int, default=0,
                   help="load: stop after this many accepted (0: no limit)")
    p.add_argument("--out")
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
    {"raw": raw, "smtplib": send, "load": load, "bench": bench}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
