#!/usr/bin/env python3
"""tcp_pingpong.py -- the round trip of a small message over one TCP connection.

`tcp_pingpong.py serve ADDR PORT` answers one connection, echoing each
message; `tcp_pingpong.py ping ADDR PORT` connects, sends --bytes and
waits for them back --rounds times after --warmup, each round trip timed
alone. Both ends block in recv (the kernel wakes them), with TCP_NODELAY,
so this is the network path and two wake-ups, without MPI's busy polling.
The client prints one "KEY: value" a line:
  tcp_rounds, tcp_bytes, tcp_rtt_min_us, tcp_rtt_median_us, tcp_rtt_mean_us

example (bench/mpi_hosts_overhead.sh runs the two ends on two hosts):
  python3 workloads/python/tcp_pingpong.py serve 127.0.0.1 5999 &
  python3 workloads/python/tcp_pingpong.py ping 127.0.0.1 5999
"""

import argparse
import socket
import statistics
import sys
import time


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            raise ConnectionError("peer closed")
        b += part
    return b


def serve(a):
    with socket.create_server((a.addr, a.port)) as ls:
        c, _ = ls.accept()
        with c:
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(a.warmup + a.rounds):
                c.sendall(recv_exact(c, a.bytes))
    return 0


def ping(a):
    deadline = time.monotonic() + 10
    while True:  # the server may not listen yet
        try:
            s = socket.create_connection((a.addr, a.port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    us = []
    msg = bytes(a.bytes)
    with s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(a.warmup + a.rounds):
            t0 = time.perf_counter()
            s.sendall(msg)
            recv_exact(s, a.bytes)
            if i >= a.warmup:
                us.append((time.perf_counter() - t0) * 1e6)
    print(f"tcp_rounds: {a.rounds}")
    print(f"tcp_bytes: {a.bytes}")
    print(f"tcp_rtt_min_us: {min(us):.2f}")
    print(f"tcp_rtt_median_us: {statistics.median(us):.2f}")
    print(f"tcp_rtt_mean_us: {statistics.fmean(us):.2f}")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description="TCP round trip of a small message.")
    p.add_argument("role", choices=["serve", "ping"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--rounds", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--bytes", type=int, default=8)
    a = p.parse_args(argv)
    return serve(a) if a.role == "serve" else ping(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
