#!/usr/bin/env python3
# tests/integration/accessd_client.py - real LMTP and POP3 clients
# (Python's smtplib.LMTP and poplib) driven by accessd_test.c.
#
#   accessd_client.py lmtp PORT FROM RCPT[,RCPT...] MSGFILE [SIZE]
#     prints "LHLO <code> <ehlo keywords>", "RCPT <addr> <code> <text>"
#     for each recipient and, if any was accepted, "DATA <addr> <code>
#     <text>" for each accepted recipient (LMTP's replies after DATA).
#   accessd_client.py lmtpmany PORT RCPT COUNT TAG
#     delivers COUNT small messages to RCPT on one connection, prints
#     "SENT <n>" with the number answered 250 (with TAG k, also "ACK <i>"
#     at once after each 250, for the kill test).
#   accessd_client.py pop3 PORT CAFILE OP...
#     OPs run in order on one connection; each prints one line:
#       tls (implicit TLS, must be first), stls, user:NAME, pass:PW,
#       plain:NAME:PW (AUTH PLAIN), capa, stat, uidl, list, retr:N:FILE,
#       top:N:L:FILE, dele:N, rset, noop, quit, sleep:SECONDS, raw:LINE,
#       login:NAME:PW (AUTH LOGIN), stlsinject (STLS with "USER alice"
#       pipelined behind it in plaintext, then PASS demo over TLS),
#       holduntil:PATH (NOOP every half second until the file PATH
#       exists, at most 120 s: holds the session for the test)
#     Errors print "ERR <server text>" and the run goes on.
# Only talks to 127.0.0.1. Output is data for the test to check.
import base64
import os
import poplib
import smtplib
import ssl
import sys
import time


def lmtp(port, sender, rcpts, msgfile, size=None):
    with open(msgfile, 'rb') as f:
        msg = f.read()
    c = smtplib.LMTP('127.0.0.1', int(port))
    code, text = c.ehlo('client.example.test')
    print('LHLO %d %s' % (code, ' '.join(sorted(c.esmtp_features))))
    opts = ['SIZE=%s' % size] if size else []
    code, text = c.mail(sender, opts)
    print('MAIL %d %s' % (code, text.decode()))
    ok = []
    for r in rcpts.split(','):
        code, text = c.rcpt(r)
        print('RCPT %s %d %s' % (r, code, text.decode()))
        if code == 250:
            ok.append(r)
    if ok:
        code, text = c.data(msg)
        print('DATA %s %d %s' % (ok[0], code, text.decode()))
        for r in ok[1:]:
            code, text = c.getreply()
            print('DATA %s %d %s' % (r, code, text.decode()))
    c.quit()


def lmtpmany(port, rcpt, count, tag):
    c = smtplib.LMTP('127.0.0.1', int(port))
    c.ehlo('client.example.test')
    ok = 0
    for i in range(int(count)):
        msg = ('Subject: %s %d\r\n\r\n' % (tag, i)) + 'x' * 4000 + '\r\n'
        c.mail('sender@remote.example')
        code, _ = c.rcpt(rcpt)
        if code != 250:
            c.rset()
            continue
        code, _ = c.data(msg.encode())
        if code == 250:
            ok += 1
            if tag == 'k':
                print('ACK %d' % i, flush=True)
    c.quit()
    print('SENT %d' % ok)


def pop3(port, cafile, ops):
    ctx = ssl.create_default_context(cafile=cafile)
    if ops and ops[0] == 'tls':
        p = poplib.POP3_SSL('127.0.0.1', int(port), context=ctx)
        ops = ops[1:]
        print('TLS ok')
    else:
        p = poplib.POP3('127.0.0.1', int(port))
    print('GREETING %s' % p.getwelcome().decode())
    for op in ops:
        a = op.split(':')
        try:
            if a[0] == 'stls':
                print('STLS %s' % p.stls(ctx).decode())
            elif a[0] == 'user':
                print('USER %s' % p.user(a[1]).decode())
            elif a[0] == 'pass':
                print('PASS %s' % p.pass_(a[1]).decode())
            elif a[0] == 'plain':
                tok = base64.b64encode(('\0%s\0%s' % (a[1], a[2])).encode())
                print('AUTH %s' % p._shortcmd('AUTH PLAIN ' +
                                              tok.decode()).decode())
            elif a[0] == 'login':
                r = p._shortcmd('AUTH LOGIN').decode()
                r = p._shortcmd(base64.b64encode(a[1].encode()).decode())
                r = p._shortcmd(base64.b64encode(a[2].encode()).decode())
                print('LOGIN %s' % r.decode())
            elif a[0] == 'stlsinject':
                p.sock.sendall(b'STLS\r\nUSER alice\r\n')
                print('STLS %s' % p._getresp().decode())
                p.sock = ctx.wrap_socket(p.sock, server_hostname='localhost')
                p.file = p.sock.makefile('rb')
                print('PASS %s' % p._shortcmd('PASS demo').decode())
            elif a[0] == 'capa':
                caps = p.capa()
                print('CAPA %s' % ' '.join(sorted(caps)))
            elif a[0] == 'stat':
                print('STAT %d %d' % p.stat())
            elif a[0] == 'uidl':
                r = p.uidl()
                print('UIDL %s' % ' '.join(x.decode() for x in r[1]))
            elif a[0] == 'list':
                r = p.list()
                print('LIST %s' % ' '.join(x.decode() for x in r[1]))
            elif a[0] in ('retr', 'top'):
                if a[0] == 'retr':
                    r = p.retr(int(a[1]))
                    out = a[2]
                else:
                    r = p.top(int(a[1]), int(a[2]))
                    out = a[3]
                with open(out, 'wb') as f:
                    f.write(b''.join(x + b'\r\n' for x in r[1]))
                print('%s %s' % (a[0].upper(), r[0].decode()))
            elif a[0] == 'dele':
                print('DELE %s' % p.dele(int(a[1])).decode())
            elif a[0] == 'rset':
                print('RSET %s' % p.rset().decode())
            elif a[0] == 'noop':
                print('NOOP %s' % p.noop().decode())
            elif a[0] == 'quit':
                print('QUIT %s' % p.quit().decode())
                return
            elif a[0] == 'sleep':
                time.sleep(float(a[1]))
                print('SLEPT')
            elif a[0] == 'raw':
                print('RAW %s' % p._shortcmd(op[4:]).decode())
            elif a[0] == 'holduntil':
                end = time.monotonic() + 120
                while not os.path.exists(a[1]) and time.monotonic() < end:
                    p.noop()
                    time.sleep(0.5)
                print('HELD %s' % ('released' if os.path.exists(a[1])
                                   else 'timeout'))
            else:
                print('BADOP %s' % op)
        except poplib.error_proto as e:
            print('ERR %s' % e.args[0].decode(errors='replace')
                  if isinstance(e.args[0], bytes) else 'ERR %s' % e)
        except (OSError, EOFError) as e:
            print('CLOSED %s' % e)
            return
        sys.stdout.flush()


if __name__ == '__main__':
    if sys.argv[1] == 'lmtp':
        lmtp(*sys.argv[2:])
    elif sys.argv[1] == 'lmtpmany':
        lmtpmany(*sys.argv[2:])
    else:
        pop3(sys.argv[2], sys.argv[3], sys.argv[4:])
