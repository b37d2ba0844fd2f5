#!/usr/bin/env python3
# tests/bench/imap_bench.py - the client side of tests/bench/imap: a mixed
# IMAP workload with 1 and CLIENTS processes (Python's imaplib, users
# alice and bob of the sample tree, each with a folder of MESSAGES
# messages of 2 to 20 KB), then IDLE authenticated connections and the
# memory of accessd's session processes (PSS and RSS).
#
#   imap_bench.py PORT MASTER_PID SECONDS CLIENTS IDLE MESSAGES
# Prints Markdown tables. Only talks to 127.0.0.1. accessd's CPU time is
# read from /proc/MASTER_PID/stat: the master's own and that of the
# session processes it has reaped (cutime, cstime).
import imaplib
import multiprocessing
import os
import random
import resource
import socket
import sys
import time

HZ = os.sysconf('SC_CLK_TCK')


def message(i):
    """Message i: 2 to 20 KB, a few header fields, some words to search."""
    body = (b'line %d of a message body with some words in it\r\n' % i) * \
        (40 + (i * 37) % 360)
    return (b'From: bench%d@example.test\r\nTo: alice@example.test\r\n'
            b'Subject: bench %d %s\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000'
            b'\r\nMessage-ID: <b%d@example.test>\r\n\r\n'
            % (i % 50, i, b'report' if i % 7 == 0 else b'note', i)) + body


def connect(port):
    """imaplib sends an APPEND's literal and its CRLF in two writes: with
    Nagle on, the CRLF waits for the server's delayed ACK (40 ms a
    command on Linux), a client artefact this bench leaves out."""
    c = imaplib.IMAP4('127.0.0.1', port)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def populate(port, user, n):
    c = connect(port)
    c.login(user, 'demo')
    c.create('Bench')
    for i in range(n):
        c.append('Bench', None, None, message(i))
    c.logout()


OPS = ('SELECT', 'FETCH headers', 'FETCH body', 'STORE', 'APPEND',
       'SEARCH')


def worker(port, user, seconds, q):
    ops = 0
    lat = {k: [] for k in OPS}
    try:
        work(port, user, seconds, lat)
        ops = 6 * len(lat['SEARCH'])
    finally:
        q.put((ops, lat))  # whatever happened: the parent waits for it


def work(port, user, seconds, lat):
    c = connect(port)
    c.login(user, 'demo')
    end = time.monotonic() + seconds

    def timed(kind, fn, *args):
        t = time.monotonic()
        r = fn(*args)
        lat[kind].append(time.monotonic() - t)
        return r

    while time.monotonic() < end:
        typ, data = timed('SELECT', c.select, 'Bench')
        n = int(data[0])
        first = random.randint(1, max(1, n - 99))
        timed('FETCH headers', c.fetch, '%d:%d' % (first,
                                                   min(n, first + 99)),
              '(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS '
              '(FROM TO SUBJECT DATE MESSAGE-ID)])')
        timed('FETCH body', c.fetch, str(random.randint(1, n)),
              '(BODY.PEEK[])')
        timed('STORE', c.store, str(random.randint(1, n)), '+FLAGS',
              '\\Seen')
        timed('APPEND', c.append, 'Bench', None, None,
              message(random.randint(0, 999)))
        timed('SEARCH', c.search, None, 'UNSEEN SUBJECT report')
    c.logout()


def accessd_cpu(master):
    """Seconds of CPU: the master and its reaped session processes."""
    with open('/proc/%d/stat' % master) as f:
        st = f.read().rsplit(')', 1)[1].split()
    return sum(int(x) for x in st[11:15]) / HZ


def mixed(port, master, seconds, clients):
    q = multiprocessing.Queue()
    users = ['alice', 'bob']
    ps = [multiprocessing.Process(target=worker,
                                  args=(port, users[i % 2], seconds, q))
          for i in range(clients)]
    cpu0 = accessd_cpu(master)
    t0 = time.monotonic()
    for p in ps:
        p.start()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
    secs = time.monotonic() - t0
    time.sleep(1)  # the sessions end and are reaped
    lat = {k: sorted(x for _, ls in res for x in ls[k]) for k in OPS}
    return (sum(o for o, _ in res), secs, accessd_cpu(master) - cpu0, lat)


def pct(xs, p):
    return xs[min(len(xs) - 1, len(xs) * p // 100)] * 1000 if xs else 0


def children(master):
    """Session processes: children of the master, the lookup one aside
    (it is the oldest)."""
    kids = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read().rsplit(')', 1)[1].split()
            if int(st[1]) == master:
                kids.append((int(st[19]), int(d)))
        except OSError:
            pass
    kids.sort()
    return kids[0][1], [p for _, p in kids[1:]]


def mem(pid):
    """(PSS, RSS) of pid in bytes."""
    pss = rss = 0
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Pss:'):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith('Rss:'):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


def idle(port, master, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))
    m0 = mem(master)
    lookup, _ = children(master)
    l0 = mem(lookup)
    conns = []
    for i in range(n):
        c = imaplib.IMAP4('127.0.0.1', port)
        c.login(('alice', 'bob')[i % 2], 'demo')
        c.select('INBOX')
        conns.append(c)
    time.sleep(2)
    _, kids = children(master)
    pss = rss = 0
    for p in kids:
        a, b = mem(p)
        pss += a
        rss += b
    m1 = mem(master)
    l1 = mem(lookup)
    # all still served: one NOOP on each
    ok = sum(1 for c in conns if c.noop()[0] == 'OK')
    for c in conns:
        c.logout()
    return len(kids), pss, rss, m1[1] - m0[1], l1[1] - l0[1], ok


def main():
    port, master, seconds, clients, nidle, nmsg = \
        (int(x) for x in sys.argv[1:7])
    populate(port, 'alice', nmsg)
    populate(port, 'bob', nmsg)
    print('Mixed workload: SELECT, FETCH 100 headers, FETCH a body, STORE, '
          'APPEND, SEARCH; folders of %d messages (2-20 KB) growing by the '
          'APPENDs' % nmsg)
    print()
    print('| clients | operations | seconds | operations/s | accessd CPU '
          'ms/op |')
    print('|---|---|---|---|---|')
    lats = []
    for n in (1, clients):
        ops, secs, cpu, lat = mixed(port, master, seconds, n)
        lats.append((n, lat))
        print('| %d | %d | %.1f | %.0f | %.2f |'
              % (n, ops, secs, ops / secs, cpu * 1000 / max(ops, 1)))
    print()
    print('| command | ' + ' | '.join('p50 / p99 ms, %d client%s'
                                      % (n, 's' if n > 1 else '')
                                      for n, _ in lats) + ' |')
    print('|---|' + '---|' * len(lats))
    for k in OPS:
        print('| %s | ' % k + ' | '.join('%.1f / %.1f' % (pct(lat[k], 50),
                                                          pct(lat[k], 99))
                                         for _, lat in lats) + ' |')
    sessions, pss, rss, master_growth, lookup_growth, ok = \
        idle(port, master, nidle)
    print()
    print('| idle authenticated connections | session processes | answered '
          'NOOP | PSS total | PSS per connection | RSS per connection | '
          'master RSS growth | lookup process RSS growth |')
    print('|---|---|---|---|---|---|---|---|')
    print('| %d | %d | %d | %.1f MiB | %.0f KiB | %.0f KiB | %.0f KiB | '
          '%.0f KiB |'
          % (nidle, sessions, ok, pss / 1048576.0,
             pss / 1024.0 / max(sessions, 1),
             rss / 1024.0 / max(sessions, 1), master_growth / 1024.0,
             lookup_growth / 1024.0))

if __name__ == '__main__':
    main()
