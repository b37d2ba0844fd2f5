#!/usr/bin/env python3
# tests/integration/imap_client.py - a real IMAP client (Python's
# imaplib) driven by tests/integration/imap_test.c.
#
#   imap_client.py PORT CAFILE OP...
# OPs run in order; each prints what the server answered, one line per
# response (tagged result "OP <name> <typ> <data>", untagged lines as
# "* ..."), so the test can assert on the server's real replies:
#   tls              implicit TLS (first op only)
#   starttls         STARTTLS with certificate checks
#   open:N / use:N   open connection N (same port, plain) / switch to it
#   login:U:P  plain:U:P (AUTHENTICATE PLAIN)  capa  noop  logout
#   select:M  examine:M  create:M  delete:M  rename:A:B  subscribe:M
#   unsubscribe:M  list:REF:PAT  lsub:REF:PAT  status:M:ITEMS
#   append:M:FLAGS:FILE  fetch:SET:ITEMS  uidfetch:SET:ITEMS
#   store:SET:ITEM:FLAGS  uidstore:SET:ITEM:FLAGS  expunge  close
#   copy:SET:M  uidcopy:SET:M  move:SET:M  search:CRIT  uidsearch:CRIT
#   getquotaroot:M  namespace  id
#   raw:LINE         send LINE (a "\n" in it means CRLF) and print every
#                    line up to the tagged reply of its first tag
#   rawbytes:FILE    send the file's bytes as they are, then as raw
#   idle:SECS[:LMTPPORT:RCPT]  IDLE, deliver one message by LMTP (if
#                    given), print what arrives within SECS, DONE
#   lmtp:PORT:RCPT   deliver one small message by LMTP
#   sleep:SECS
#   slowread:PID:USER:PASS:COUNT:SECS  a second connection that logs in,
#                    selects INBOX, reads one FETCH 1 BODY.PEEK[], then
#                    pipelines COUNT more and reads nothing for up to SECS,
#                    watching VmRSS of its session process (a new
#                    descendant of accessd's PID); meanwhile the current
#                    connection FETCHes message 1's header. Prints "SLOW"
#                    lines: rss at start, largest growth, when it ended.
# A '~' in an argument stands for ':' (sequence sets, 1~*).
# Only talks to 127.0.0.1. Output is data for the test to check.
import imaplib
import os
import select
import socket
import smtplib
import ssl
import sys
import time

imaplib._MAXLINE = 10000000
conns = {}
cur = None


def show(name, r):
    typ, data = r
    parts = []
    for d in data:
        if isinstance(d, tuple):
            parts.append(b' '.join(x if isinstance(x, bytes) else
                                   str(x).encode() for x in d))
        elif d is not None:
            parts.append(d if isinstance(d, bytes) else str(d).encode())
    print('OP %s %s %s' % (name, typ,
                           b' | '.join(parts).decode(errors='replace')))
    for k, v in list(cur.untagged_responses.items()):
        for x in v:
            if isinstance(x, tuple):
                x = x[0]
            print('* %s %s' % (k, (x or b'').decode(errors='replace')
                               if isinstance(x, bytes) else x))
    cur.untagged_responses.clear()


def raw(line):
    """Send line, print every response line up to its tagged reply."""
    tag = line.split(b' ', 1)[0]
    cur.send(line)
    while True:
        ln = cur._get_line()
        print('R %s' % ln.decode(errors='replace'))
        m = ln.rstrip()
        if m.endswith(b'}') and b'{' in m:
            n = int(m[m.rindex(b'{') + 1:-1].rstrip(b'+'))
            data = cur.read(n)
            print('L %d %s' % (n, data[:200].decode(errors='replace')
                               .replace('\r\n', '\\r\\n')))
            continue
        if ln.startswith(tag + b' ') or ln.startswith(b'+'):
            if not ln.startswith(b'+'):
                return


def idle(secs, lmtp_port=None, rcpt=None):
    tag = b'I1'
    cur.send(tag + b' IDLE\r\n')
    print('R %s' % cur._get_line().decode())
    if lmtp_port:
        deliver(lmtp_port, rcpt)
    end = time.monotonic() + float(secs)
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([cur.sock], [], [], left)[0]:
            print('IDLE timeout')
            break
        ln = cur._get_line()
        print('R %s' % ln.decode())
        if ln.endswith(b'EXISTS'):
            break
    cur.send(b'DONE\r\n')
    while True:
        ln = cur._get_line()
        print('R %s' % ln.decode())
        if ln.startswith(tag + b' '):
            break


def deliver(port, rcpt):
    c = smtplib.LMTP('127.0.0.1', int(port))
    c.ehlo('client.example.test')
    c.sendmail('sender@remote.example', [rcpt],
               b'From: sender@remote.example\r\nSubject: lmtp\r\n\r\nhi\r\n')
    c.quit()
    print('LMTP delivered')


def descendants(root):
    parent = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                st = f.read()
        except OSError:
            continue
        parent[int(name)] = int(st[st.rindex(')') + 2:].split()[1])
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        for c, pp in parent.items():
            if pp == p and c not in out:
                out.add(c)
                todo.append(c)
    return out


def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for ln in f:
                if ln.startswith('VmRSS:'):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None


def slow_reply(f, tag):
    """Read replies from file f up to the tagged one (literals too)."""
    while True:
        ln = f.readline()
        if not ln:
            raise EOFError('closed')
        m = ln.rstrip()
        if m.endswith(b'}') and b'{' in m:
            f.read(int(m[m.rindex(b'{') + 1:-1]))
            continue
        if ln.startswith(tag + b' '):
            return ln.decode(errors='replace').rstrip()


def slowread(port, pid, user, password, count, secs):
    before = descendants(int(pid))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # a small receive window (set before connecting, so the window scale
    # fits it), so the server's replies back up early
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect(('127.0.0.1', int(port)))
    s.sendall(b's1 LOGIN %s %s\r\ns2 SELECT INBOX\r\n'
              b's3 FETCH 1 BODY.PEEK[]\r\n' % (user.encode(),
                                               password.encode()))
    f = s.makefile('rb')
    for tag in (b's1', b's2', b's3'):
        print('SLOW %s' % slow_reply(f, tag))
    new = descendants(int(pid)) - before
    if len(new) != 1:
        print('SLOW session pid not found: %s' % sorted(new))
        return
    sess = new.pop()
    rss0 = rss_kb(sess)
    print('SLOW session found rss0 %d kB' % rss0)
    s.sendall(b''.join(b'p%d FETCH 1 BODY.PEEK[]\r\n' % i
                       for i in range(int(count))))
    print('SLOW sent %s commands' % count)
    start = time.monotonic()
    grow, other_done, gone = 0, False, None
    while time.monotonic() - start < float(secs):
        r = rss_kb(sess)
        if r is None:
            gone = time.monotonic() - start
            break
        grow = max(grow, r - rss0)
        if not other_done and time.monotonic() - start > 0.5:
            show('other', cur.fetch('1', '(BODY.PEEK[HEADER.FIELDS '
                                         '(SUBJECT)])'))
            other_done = True
        time.sleep(0.05)
    print('SLOW max growth %d kB' % grow)
    if gone is None:
        print('SLOW session still running after %s s' % secs)
        return
    print('SLOW session ended after %.1f s' % gone)
    # what the kernel had queued arrives, then the end of the stream
    s.settimeout(5)
    got = 0
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got += len(b)
    except ConnectionResetError:
        pass
    print('SLOW connection closed after %d more bytes' % got)
    s.close()


def run(port, cafile, ops):
    global cur
    ctx = ssl.create_default_context(cafile=cafile)
    if ops and ops[0] == 'tls':
        cur = imaplib.IMAP4_SSL('127.0.0.1', int(port), ssl_context=ctx)
        ops = ops[1:]
        print('TLS ok')
    else:
        cur = imaplib.IMAP4('127.0.0.1', int(port))
    conns['1'] = cur
    print('GREETING %s' % cur.welcome.decode())
    for op in ops:
        a = [x.replace('~', ':') for x in op.split(':')]
        try:
            if a[0] == 'open':
                cur = imaplib.IMAP4('127.0.0.1', int(port))
                conns[a[1]] = cur
                print('OPEN %s' % a[1])
            elif a[0] == 'use':
                cur = conns[a[1]]
            elif a[0] == 'starttls':
                show('starttls', cur.starttls(ctx))
            elif a[0] == 'capa':
                show('capa', cur.capability())
            elif a[0] == 'login':
                show('login', cur.login(a[1], a[2]))
            elif a[0] == 'plain':
                show('plain', cur.authenticate(
                    'PLAIN', lambda _: ('\0%s\0%s' % (a[1], a[2])).encode()))
            elif a[0] in ('select', 'examine'):
                show(a[0], cur.select(a[1], readonly=a[0] == 'examine'))
            elif a[0] == 'create':
                show('create', cur.create(a[1]))
            elif a[0] == 'delete':
                show('delete', cur.delete(a[1]))
            elif a[0] == 'rename':
                show('rename', cur.rename(a[1], a[2]))
            elif a[0] == 'subscribe':
                show('subscribe', cur.subscribe(a[1]))
            elif a[0] == 'unsubscribe':
                show('unsubscribe', cur.unsubscribe(a[1]))
            elif a[0] == 'list':
                show('list', cur.list(a[1] or '""', a[2] or '""'))
            elif a[0] == 'lsub':
                show('lsub', cur.lsub(a[1] or '""', a[2] or '""'))
            elif a[0] == 'status':
                show('status', cur.status(a[1], a[2]))
            elif a[0] == 'append':
                with open(a[3], 'rb') as f:
                    msg = f.read()
                show('append', cur.append(a[1], a[2] or None, None, msg))
            elif a[0] == 'fetch':
                show('fetch', cur.fetch(a[1], ':'.join(a[2:])))
            elif a[0] == 'uidfetch':
                show('uidfetch', cur.uid('FETCH', a[1], ':'.join(a[2:])))
            elif a[0] == 'store':
                show('store', cur.store(a[1], a[2], a[3]))
            elif a[0] == 'uidstore':
                show('uidstore', cur.uid('STORE', a[1], a[2], a[3]))
            elif a[0] == 'expunge':
                show('expunge', cur.expunge())
            elif a[0] == 'close':
                show('close', cur.close())
            elif a[0] == 'copy':
                show('copy', cur.copy(a[1], a[2]))
            elif a[0] == 'uidcopy':
                show('uidcopy', cur.uid('COPY', a[1], a[2]))
            elif a[0] == 'move':
                show('move', cur._simple_command('MOVE', a[1], a[2]))
            elif a[0] == 'search':
                show('search %s' % ':'.join(a[1:]),
                     cur.search(None, ':'.join(a[1:])))
            elif a[0] == 'uidsearch':
                show('uidsearch %s' % ':'.join(a[1:]),
                     cur.uid('SEARCH', ':'.join(a[1:])))
            elif a[0] == 'getquotaroot':
                show('getquotaroot', cur.getquotaroot(a[1]))
            elif a[0] == 'namespace':
                show('namespace', cur.namespace())
            elif a[0] == 'id':
                show('id', cur.xatom('ID', '("name" "imaplib")'))
            elif a[0] == 'noop':
                show('noop', cur.noop())
            elif a[0] == 'logout':
                print('OP logout %s' % cur.logout()[0])
            elif a[0] == 'raw':
                raw(op[4:].replace('\\n', '\r\n').encode() + b'\r\n')
            elif a[0] == 'rawbytes':
                with open(a[1], 'rb') as f:
                    raw(f.read())
            elif a[0] == 'idle':
                idle(*a[1:])
            elif a[0] == 'lmtp':
                deliver(a[1], a[2])
            elif a[0] == 'slowread':
                slowread(port, *a[1:])
            elif a[0] == 'sleep':
                time.sleep(float(a[1]))
            else:
                print('BADOP %s' % op)
        except imaplib.IMAP4.abort as e:
            print('ABORT %s' % e)
            return
        except imaplib.IMAP4.error as e:
            print('ERR %s %s' % (a[0], e))
        except (OSError, EOFError) as e:
            print('CLOSED %s' % e)
            return
        sys.stdout.flush()


if __name__ == '__main__':
    run(sys.argv[1], sys.argv[2], sys.argv[3:])
