#!/usr/bin/env python3
# tests/bench/imap_bench.py - the client side of tests/bench/imap: a mixed
# IMAP workload with 1 and CLIENTS processes (Python's imaplib, users
# alice and bob of the sample tree), then IDLE authenticated connections
# and the proportional set size of accessd's session processes.
#
#   imap_bench.py PORT MASTER_PID SECONDS CLIENTS IDLE
# Prints a Markdown table. Only talks to 127.0.0.1.
import imaplib
import multiprocessing
import os
import random
import resource
import sys
import time

MSG = (b'From: bench@example.test\r\nTo: alice@example.test\r\n'
       b'Subject: bench %d\r\n\r\n' + b'x' * 3000 + b'\r\n')


def populate(port, user):
    c = imaplib.IMAP4('127.0.0.1', port)
    c.login(user, 'demo')
    c.create('Bench')
    for i in range(100):
        c.append('Bench', None, None, MSG % i)
    c.logout()


def worker(port, user, seconds, q):
    c = imaplib.IMAP4('127.0.0.1', port)
    c.login(user, 'demo')
    ops = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        typ, data = c.select('Bench')
        n = int(data[0])
        c.fetch('1:100', '(UID FLAGS BODY.PEEK[HEADER])')
        c.fetch(str(random.randint(1, n)), '(BODY.PEEK[])')
        c.store(str(random.randint(1, n)), '+FLAGS', '\\Seen')
        c.append('Bench', None, None, MSG % 0)
        c.search(None, 'UNSEEN')
        ops += 6
    c.logout()
    q.put(ops)


def mixed(port, seconds, clients):
    q = multiprocessing.Queue()
    users = ['alice', 'bob']
    ps = [multiprocessing.Process(target=worker,
                                  args=(port, users[i % 2], seconds, q))
          for i in range(clients)]
    t0 = time.monotonic()
    for p in ps:
        p.start()
    total = sum(q.get() for _ in ps)
    for p in ps:
        p.join()
    return total, time.monotonic() - t0


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
    return [p for _, p in kids[1:]]


def pss(pid):
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def idle(port, master, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))
    conns = []
    for i in range(n):
        c = imaplib.IMAP4('127.0.0.1', port)
        c.login(('alice', 'bob')[i % 2], 'demo')
        c.select('INBOX')
        conns.append(c)
    time.sleep(2)
    kids = children(master)
    total = sum(pss(p) for p in kids)
    for c in conns:
        c.logout()
    return len(kids), total


def main():
    port, master, seconds, clients, nidle = (int(x) for x in sys.argv[1:6])
    populate(port, 'alice')
    populate(port, 'bob')
    print('| clients | operations | seconds | operations/s |')
    print('|---|---|---|---|')
    for n in (1, clients):
        ops, secs = mixed(port, seconds, n)
        print('| %d | %d | %.1f | %.0f |' % (n, ops, secs, ops / secs))
    sessions, total = idle(port, master, nidle)
    print()
    print('idle authenticated connections: %d, session processes: %d, '
          'PSS %.1f MiB, %.0f KiB per connection'
          % (nidle, sessions, total / 1048576.0,
             total / 1024.0 / max(sessions, 1)))


if __name__ == '__main__':
    main()
