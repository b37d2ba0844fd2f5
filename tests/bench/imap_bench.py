#!/usr/bin/env python3
# tests/bench/imap_bench.py - the client side of tests/bench/imap: a mixed
# IMAP workload with 1 and CLIENTS processes (Python's imaplib, users
# alice and bob of the sample tree, each with a folder of MESSAGES
# messages of 2 to 20 KB), then IDLE authenticated connections and the
# memory of the processes serving them (PSS and RSS), for one or two
# servers (Tessera's accessd, Dovecot), the cases interleaved, with the
# ratio of the first to the second.
#
#   imap_bench.py SECONDS CLIENTS IDLE MESSAGES NAME:KIND:PORT:PID ...
#
# KIND is tessera (PID: accessd's master; the processes serving
# connections are its children but the oldest, the lookup process) or
# dovecot (PID: Dovecot's master; serving processes: every imap and
# imap-login process below it). CPU is that of the whole process tree
# below PID, reaped children included (e2e.py's tree_cpu): accessd with
# its lookup process, Dovecot with its auth, anvil, log, config and stats
# processes; not the slapd. Prints Markdown tables. Only talks to
# 127.0.0.1.
import imaplib
import multiprocessing
import os
import random
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import tree_cpu  # noqa: E402


class Server:
    def __init__(self, spec):
        name, self.kind, port, pid = spec.split(':')
        self.name, self.port, self.master = name, int(port), int(pid)
        if self.kind not in ('tessera', 'dovecot'):
            raise SystemExit('imap_bench: unknown kind %s' % self.kind)

    def cpu(self):
        return tree_cpu([self.master])[self.master]


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


def mixed(srv, seconds, clients):
    """One case: clients processes for seconds against srv."""
    q = multiprocessing.Queue()
    users = ['alice', 'bob']
    ps = [multiprocessing.Process(target=worker,
                                  args=(srv.port, users[i % 2], seconds, q))
          for i in range(clients)]
    load = os.getloadavg()[0]
    cpu0 = srv.cpu()
    t0 = time.monotonic()
    for p in ps:
        p.start()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
    secs = time.monotonic() - t0
    time.sleep(1)  # the sessions end and are reaped
    lat = {k: sorted(x for _, ls in res for x in ls[k]) for k in OPS}
    return {'ops': sum(o for o, _ in res), 'secs': secs,
            'cpu': srv.cpu() - cpu0, 'lat': lat, 'load': load}


def alone(srv, cmd, seconds):
    """One client issuing only cmd on the Bench folder for seconds:
    (commands, wall seconds, server CPU seconds)."""
    c = connect(srv.port)
    c.login('alice', 'demo')
    n = int(c.select('Bench')[1][0])

    def headers():
        first = random.randint(1, max(1, n - 99))
        return c.fetch('%d:%d' % (first, min(n, first + 99)),
                       '(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS '
                       '(FROM TO SUBJECT DATE MESSAGE-ID)])')

    calls = {
        'SELECT': lambda: c.select('Bench'),
        'FETCH headers': headers,
        'FETCH body': lambda: c.fetch(str(random.randint(1, n)),
                                      '(BODY.PEEK[])'),
        'SEARCH': lambda: c.search(None, 'UNSEEN SUBJECT report'),
        'APPEND': lambda: c.append('Bench', None, None,
                                   message(random.randint(0, 999))),
        'STORE': lambda: c.store(str(random.randint(1, n)), '+FLAGS',
                                 '\\Seen'),
    }
    fn, count = calls[cmd], 0
    cpu0, t0 = srv.cpu(), time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        fn()
        count += 1
    secs, cpu = time.monotonic() - t0, srv.cpu() - cpu0
    c.logout()
    return count, secs, cpu


def pct(xs, p):
    return xs[min(len(xs) - 1, len(xs) * p // 100)] * 1000 if xs else 0


def procs():
    """pid -> (ppid, command name, start time) of every process."""
    t = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index('(') + 1:s.rindex(')')]
        st = s.rsplit(')', 1)[1].split()
        t[int(d)] = (int(st[1]), comm, int(st[19]))
    return t


def tree(master, t):
    """master and every process below it."""
    kids = {}
    for pid, (ppid, _, _) in t.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [master]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def serving(srv, t):
    """The processes that serve IMAP connections."""
    if srv.kind == 'tessera':
        kids = sorted((t[p][2], p) for p in t if t[p][0] == srv.master)
        return [p for _, p in kids[1:]]  # the oldest is the lookup one
    return [p for p in tree(srv.master, t)
            if p != srv.master and t[p][1] in ('imap', 'imap-login')]


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


def tree_pss(master):
    return sum(mem(p)[0] for p in tree(master, procs()))


def idle(srv, n):
    """n idle authenticated connections (each has SELECTed INBOX): what
    the processes serving them weigh, and how much the server's whole
    process tree grew."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)),
                                                hard))
    before = tree_pss(srv.master)
    conns = []
    for i in range(n):
        c = imaplib.IMAP4('127.0.0.1', srv.port)
        c.login(('alice', 'bob')[i % 2], 'demo')
        c.select('INBOX')
        conns.append(c)
    time.sleep(2)
    t = procs()
    serv = serving(srv, t)
    names = {}
    pss = rss = 0
    for p in serv:
        a, b = mem(p)
        pss += a
        rss += b
        names[t[p][1]] = names.get(t[p][1], 0) + 1
    growth = tree_pss(srv.master) - before
    # all still served: one NOOP on each
    ok = sum(1 for c in conns if c.noop()[0] == 'OK')
    for c in conns:
        c.logout()
    time.sleep(1)
    return {'procs': len(serv), 'names': names, 'pss': pss, 'rss': rss,
            'growth': growth, 'ok': ok}


def ratio(a, b):
    return '%.2fx' % (a / b) if b else '-'


def main():
    seconds, clients, nidle, nmsg = (int(x) for x in sys.argv[1:5])
    servers = [Server(s) for s in sys.argv[5:]]
    two = len(servers) == 2
    log = sys.stderr
    print('load average at the start: %.2f %.2f %.2f' % os.getloadavg())
    for srv in servers:
        print('%s: filling Bench of alice and bob with %d messages each '
              '(IMAP APPEND)' % (srv.name, nmsg), file=log, flush=True)
        cpu0, t0 = srv.cpu(), time.monotonic()
        populate(srv.port, 'alice', nmsg)
        populate(srv.port, 'bob', nmsg)
        secs, cpu = time.monotonic() - t0, srv.cpu() - cpu0
        print('%s: filled %d messages in %.1f s (%.1f ms each, CPU %.2f '
              'ms/APPEND)' % (srv.name, 2 * nmsg, secs, secs * 500 / nmsg,
                              cpu * 500 / nmsg))
    # interleaved: each case for every server before the next case
    runs = {}
    for n in (1, clients):
        for srv in servers:
            print('%s: %d client(s), %d s' % (srv.name, n, seconds),
                  file=log, flush=True)
            runs[srv.name, n] = mixed(srv, seconds, n)
    print()
    print('Mixed workload: SELECT, FETCH 100 headers, FETCH a body, STORE, '
          'APPEND, SEARCH UNSEEN SUBJECT; folders of %d messages (2-20 KB) '
          'growing by the APPENDs; CPU of the server\'s whole process tree'
          % nmsg)
    print()
    print('| clients | system | operations | seconds | operations/s | '
          'CPU ms/op | load (1 min) at start |')
    print('|---|---|---|---|---|---|---|')
    for n in (1, clients):
        for srv in servers:
            r = runs[srv.name, n]
            print('| %d | %s | %d | %.1f | %.1f | %.2f | %.1f |'
                  % (n, srv.name, r['ops'], r['secs'], r['ops'] / r['secs'],
                     r['cpu'] * 1000 / max(r['ops'], 1), r['load']))
        if two:
            a, b = (runs[s.name, n] for s in servers)
            print('| %d | ratio %s / %s | | | %s | %s | |'
                  % (n, servers[0].name, servers[1].name,
                     ratio(a['ops'] / a['secs'], b['ops'] / b['secs']),
                     ratio(a['cpu'] / max(a['ops'], 1),
                           b['cpu'] / max(b['ops'], 1))))
    print()
    cols = [(srv, n) for n in (1, clients) for srv in servers]
    print('p50 / p99 ms per command')
    print()
    print('| command | ' + ' | '.join('%s, %d client%s' % (
        srv.name, n, 's' if n > 1 else '') for srv, n in cols) + ' |')
    print('|---|' + '---|' * len(cols))
    for k in OPS:
        print('| %s | ' % k + ' | '.join(
            '%.1f / %.1f' % (pct(runs[srv.name, n]['lat'][k], 50),
                             pct(runs[srv.name, n]['lat'][k], 99))
            for srv, n in cols) + ' |')
    mems = []
    for srv in servers:
        print('%s: %d idle connections' % (srv.name, nidle), file=log,
              flush=True)
        mems.append(idle(srv, nidle))
    print()
    print('| system | idle authenticated connections | answered NOOP | '
          'serving processes | PSS per connection | RSS per connection | '
          'whole server PSS growth per connection |')
    print('|---|---|---|---|---|---|---|')
    for srv, m in zip(servers, mems):
        print('| %s | %d | %d | %d (%s) | %.0f KiB | %.0f KiB | %.0f KiB |'
              % (srv.name, nidle, m['ok'], m['procs'],
                 ', '.join('%s %d' % kv for kv in sorted(m['names'].items())),
                 m['pss'] / 1024.0 / nidle, m['rss'] / 1024.0 / nidle,
                 m['growth'] / 1024.0 / nidle))
    if two:
        print('| ratio %s / %s | | | | %s | %s | %s |'
              % (servers[0].name, servers[1].name,
                 ratio(mems[0]['pss'], mems[1]['pss']),
                 ratio(mems[0]['rss'], mems[1]['rss']),
                 ratio(mems[0]['growth'], mems[1]['growth'])))
    # last: STORE alone marks most messages \Seen, APPEND alone grows
    # the folder, which would change the cases above
    order = ('SELECT', 'FETCH headers', 'FETCH body', 'SEARCH', 'APPEND',
             'STORE')
    each = max(2, seconds // 2)
    alones = {}
    for k in order:
        for srv in servers:
            print('%s: %s alone, %d s' % (srv.name, k, each), file=log,
                  flush=True)
            alones[srv.name, k] = alone(srv, k, each)
    print()
    print('Each command alone, one client (alice), %d s each, in this '
          'order: ms per command and server CPU ms per command' % each)
    print()
    print('| command | ' + ' | '.join('%s ms | %s CPU ms' % (s.name, s.name)
                                      for s in servers) +
          (' | CPU ratio %s / %s |' % (servers[0].name, servers[1].name)
           if two else ' |'))
    print('|---|' + '---|---|' * len(servers) + ('---|' if two else ''))
    for k in order:
        cells, cpus = [], []
        for srv in servers:
            count, secs, cpu = alones[srv.name, k]
            cells.append('%.2f | %.2f' % (secs * 1000 / max(count, 1),
                                          cpu * 1000 / max(count, 1)))
            cpus.append(cpu / max(count, 1))
        print('| %s | %s |' % (k, ' | '.join(cells)) +
              (' %s |' % ratio(cpus[0], cpus[1]) if two else ''))
    print()
    print('load average at the end: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
