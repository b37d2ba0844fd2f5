#!/usr/bin/env python3
# tests/bench/e2e.py - the measuring half of tests/bench/end-to-end: sends
# MESSAGES messages of SIZE bytes through CLIENTS concurrent SMTP sessions
# to 127.0.0.1:PORT, waits until that many messages are stored in the
# Maildirs under STORE, and prints one result line (key=value) with the
# wall-clock time from the first connection to the last stored message and
# the CPU time the daemons used meanwhile.
#
#   e2e.py run PORT STORE --messages N --clients C --size BYTES
#          --pids PID[,PID...] [--rcpt ADDR ...] [--timeout S]
#
# CPU: for each PID (a daemon's top process: slapd, a master process) the
# utime+stime+cutime+cstime of it and of every process below it in
# /proc, before the first message and once all are stored; children that
# ended meanwhile are counted through their parent's cutime/cstime (every
# daemon here reaps its children). Stored: files in directories named new
# or cur anywhere below STORE (Maildir and Maildir++ alike).
#   e2e.py cpu PID[,PID...]     prints the tree CPU in seconds, per PID
#   e2e.py count STORE           prints the number of stored messages
#   e2e.py timeline DIR          where Tessera's time went, from the logs
#       DIR/mtad.log and DIR/accessd.log (log_level = info): LMTP
#       sessions and deliveries per session, how many were open at once,
#       the time of each step of an accessd LMTP session (a session
#       carries many transactions), of the queue manager's deliveries
#       (several threads at once), and the delay from accept to
#       delivery.
# Talks to 127.0.0.1 only.
import argparse
import os
import smtplib
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def proc_table():
    """pid -> (ppid, own cpu ticks, reaped children's cpu ticks)."""
    t = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        # rest[0] is field 3 (state): ppid 4, utime 14, stime 15,
        # cutime 16, cstime 17
        t[int(name)] = (int(rest[1]), int(rest[11]) + int(rest[12]),
                        int(rest[13]) + int(rest[14]))
    return t


def tree_cpu(pids):
    """Seconds of CPU of each tree rooted at pids (a dict pid -> s)."""
    t = proc_table()
    kids = {}
    for pid, (ppid, _, _) in t.items():
        kids.setdefault(ppid, []).append(pid)
    out = {}
    for root in pids:
        total, todo = 0, [root]
        while todo:
            p = todo.pop()
            if p in t:
                total += t[p][1] + t[p][2]
                todo.extend(kids.get(p, []))
        out[root] = total / TICK
    return out


def count_stored(root):
    n = 0
    for d, _, files in os.walk(root):
        if os.path.basename(d) in ("new", "cur"):
            n += len(files)
    return n


def message(size, n):
    head = ("From: <bench@elsewhere.example>\r\nTo: <bench-list>\r\n"
            "Subject: end-to-end bench %d\r\n"
            "Message-ID: <bench-%d@elsewhere.example>\r\n\r\n" % (n, n))
    line = "y" * 76 + "\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return (head + body).encode()


def run(a):
    rcpts = a.rcpt or ["alice@example.test", "bob@example.test"]
    pids = [int(p) for p in a.pids.split(",") if p]
    base = count_stored(a.store)
    lock = threading.Lock()
    lat, errors = [], []
    next_msg = [0]

    def take():
        with lock:
            if next_msg[0] >= a.messages:
                return None
            next_msg[0] += 1
            return next_msg[0] - 1

    def worker(w):
        try:
            c = smtplib.SMTP("127.0.0.1", a.port, timeout=60)
            c.ehlo("bench%d.elsewhere.example" % w)
            while True:
                n = take()
                if n is None:
                    break
                t0 = time.monotonic()
                code, text = c.mail("bench@elsewhere.example")
                if code != 250:
                    raise smtplib.SMTPResponseException(code, text)
                code, text = c.rcpt(rcpts[n % len(rcpts)])
                if code != 250:
                    raise smtplib.SMTPResponseException(code, text)
                code, text = c.data(message(a.size, n))
                if code != 250:
                    raise smtplib.SMTPResponseException(code, text)
                with lock:
                    lat.append(time.monotonic() - t0)
            c.quit()
        except (OSError, smtplib.SMTPException) as e:
            with lock:
                errors.append("session %d: %r" % (w, e))

    cpu0 = tree_cpu(pids)
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,))
          for i in range(a.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    t_accept = time.monotonic() - t0
    accepted = len(lat)
    stored = count_stored(a.store) - base
    deadline = time.monotonic() + a.timeout
    while stored < accepted and time.monotonic() < deadline:
        time.sleep(0.05)
        stored = count_stored(a.store) - base
    t_all = time.monotonic() - t0
    cpu1 = tree_cpu(pids)
    cpu = {p: cpu1[p] - cpu0[p] for p in pids}
    lat.sort()
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
           if lat else 0)
    for e in errors[:5]:
        print("e2e.py: %s" % e, file=sys.stderr)
    print("accepted=%d stored=%d errors=%d accept_s=%.3f total_s=%.3f "
          "accept_p50_ms=%.1f accept_p99_ms=%.1f cpu_s=%.3f %s" % (
              accepted, stored, len(errors), t_accept, t_all, pct(0.5),
              pct(0.99), sum(cpu.values()),
              " ".join("cpu_%d=%.3f" % (p, cpu[p]) for p in pids)),
          flush=True)
    return 0 if stored >= accepted == a.messages else 1


def stamp(line):
    import datetime
    return datetime.datetime.strptime(
        line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def timeline(d):
    import re
    mt = open(os.path.join(d, "mtad.log")).read().splitlines()
    ac = open(os.path.join(d, "accessd.log")).read().splitlines()

    def qid(line):
        return re.search(r"queue_id=(\S+)", line).group(1)

    def ms(xs):
        xs = sorted(xs)
        if not xs:
            return "-"
        return "p50 %6.1f  mean %6.1f  p90 %6.1f ms" % (
            xs[len(xs) // 2] * 1000, sum(xs) / len(xs) * 1000,
            xs[int(0.9 * len(xs))] * 1000)

    accepted = {qid(x): stamp(x) for x in mt if "event=accepted" in x}
    dl = [(stamp(x), qid(x)) for x in mt
          if "mtad/qmgr" in x and "event=delivery" in x]
    rm = {qid(x): stamp(x) for x in mt
          if "mtad/qmgr" in x and "event=removed" in x}
    # an LMTP session carries many messages (the queue manager keeps
    # its connections): per session the connect, LHLO and disconnect,
    # and the RCPT and delivered times of each transaction, in order
    sess = {}
    for x in ac:
        m = re.match(r"\S+ accessd/lmtp\[\d+\]: (\S+): (\w+)", x)
        if not m:
            continue
        s = sess.setdefault(m.group(1), {"rcpt": [], "delivered": []})
        if m.group(2) in ("rcpt", "delivered"):
            s[m.group(2)].append(stamp(x))
        else:
            s.setdefault(m.group(2), stamp(x))
    used = [s for s in sess.values() if s["delivered"] and "connect" in s]
    end = max([stamp(x) for x in ac if x[:1].isdigit()] or [0])
    ev = sorted([(s["connect"], 1) for s in used] +
                [(s.get("disconnect", end), -1) for s in used])
    cur = most = 0
    for _, e in ev:
        cur += e
        most = max(most, cur)
    print("deliveries %d, accessd LMTP sessions with a delivery %d (%.1f"
          " deliveries each), at most %d open at once" % (
              len(dl), len(used), sum(len(s["delivered"]) for s in used) /
              max(len(used), 1), most))
    pairs = [(r, d) for s in used for r, d in zip(s["rcpt"],
                                                  s["delivered"])]
    nxt = [r - d for s in used for d, r in zip(s["delivered"],
                                               s["rcpt"][1:])]
    rows = (("connect -> LHLO (fork, greeting)",
             [s["lhlo"] - s["connect"] for s in used if "lhlo" in s]),
            ("LHLO -> first RCPT 250 (lookup)",
             [s["rcpt"][0] - s["lhlo"] for s in used
              if "lhlo" in s and s["rcpt"]]),
            ("RCPT -> stored (DATA, store)", [d - r for r, d in pairs]),
            ("stored -> next RCPT (same session)", nxt),
            ("whole LMTP session", [s["disconnect"] - s["connect"]
                                    for s in used if "disconnect" in s]))
    for name, xs in rows:
        print("  accessd %-34s %s" % (name, ms(xs)))
    t = [x[0] for x in dl]
    print("  qmgr    %-34s %s" % ("delivery -> next (any thread)", ms(
        [b - a for a, b in zip(t, t[1:])])))
    print("  qmgr    %-34s %s" % ("delivery -> removed (state, unlink)",
          ms([rm[q] - a for a, q in dl if q in rm])))
    lag = [a - accepted[q] for a, q in dl if q in accepted]
    print("  %-42s %s" % ("accept -> delivered", ms(lag)))
    if accepted and t:
        print("  accepts over %.1f s, deliveries over %.1f s (%.1f/s)" % (
            max(accepted.values()) - min(accepted.values()),
            max(t) - min(t), len(t) / max(max(t) - min(t), 1e-3)))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["run", "cpu", "count", "timeline"])
    p.add_argument("args", nargs="*")
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--pids", default="")
    p.add_argument("--rcpt", action="append", default=[])
    p.add_argument("--timeout", type=float, default=600)
    a = p.parse_args()
    if a.mode == "cpu":
        pids = [int(x) for x in a.args[0].split(",") if x]
        print(" ".join("%d=%.3f" % kv for kv in tree_cpu(pids).items()))
        return 0
    if a.mode == "timeline":
        return timeline(a.args[0])
    if a.mode == "count":
        print(count_stored(a.args[0]))
        return 0
    a.port, a.store = int(a.args[0]), a.args[1]
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
