"""Late verdicts for an NFQUEUE: delay, jitter and reordering of packets
without the kernel's sch_netem (this CI kernel has none).

NfqDelay is a small nfnetlink_queue client on a raw netlink socket (no
package needed), run on a thread of its own inside a network namespace:
iptables rules in that namespace send packets to the queue, and it gives
each its ACCEPT verdict late. As with netem's "reorder P", a fraction of the
packets go out at once, ahead of the delayed ones. netns_harness.Node.impair
is its user.
"""

import heapq
import os
import random
import select
import socket
import struct
import threading
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def _attr(atype, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, atype) + payload + b"\0" * ((4 - n % 4) % 4)


def _nlmsg(mtype, flags, seq, queue, attrs):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype,
                       flags, seq, 0) + body


class NfqDelay:
    """Holds the packets of NFQUEUE `queue` in namespace ns (entered with
    enter(ns) on its own thread) and accepts each after delay_ms +-
    jitter_ms (normal), or at once with probability reorder (those overtake
    the held ones)."""

    def __init__(self, ns, enter, queue, delay_ms, jitter_ms, reorder, seed=None):
        self.ns = ns
        self._enter = enter
        self.queue = queue
        self.delay = delay_ms / 1000.0
        self.jitter = jitter_ms / 1000.0
        self.reorder = reorder
        self.rng = random.Random(seed)
        self.packets = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise OSError(f"nfqueue {self.ns}/{self.queue}: {self._error}")
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)

    def _bind(self, sock):
        cmd = _attr(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0))
        params = _attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))
        for seq, attrs in ((1, cmd), (2, params)):
            sock.send(_nlmsg(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, self.queue,
                             attrs))
            data = sock.recv(65536)
            _, mtype, _, _, _ = struct.unpack_from("=IHHII", data)
            if mtype == NLMSG_ERROR:
                err, = struct.unpack_from("=i", data, 16)
                if err != 0:
                    raise OSError(-err, os.strerror(-err))

    def _verdict(self, sock, pid):
        hdr = _attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, pid))
        try:
            sock.send(_nlmsg(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0, self.queue, hdr))
        except OSError:
            pass

    def _packets(self, data):
        """Packet ids in one recv."""
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, _, _, _ = struct.unpack_from("=IHHII", data, off)
            if mlen < 16:
                break
            if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20
                while a + 4 <= off + mlen:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype & 0x7fff == NFQA_PACKET_HDR:
                        pid, = struct.unpack_from("!I", data, a + 4)
                        yield pid
                    a += (alen + 3) & ~3
            off += (mlen + 3) & ~3

    def _run(self):
        try:
            self._enter(self.ns)
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((0, 0))
            self._bind(sock)
        except OSError as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        held = []  # (due, seq, packet id)
        seq = 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                while held and held[0][0] <= now:
                    self._verdict(sock, heapq.heappop(held)[2])
                wait = min(0.2, max(0.0, held[0][0] - now)) if held else 0.2
                r, _, _ = select.select([sock], [], [], wait)
                if not r:
                    continue
                try:
                    data = sock.recv(1 << 20)
                except OSError:
                    continue  # ENOBUFS: the kernel dropped some (a loss)
                for pid in self._packets(data):
                    self.packets += 1
                    if self.rng.random() < self.reorder:
                        self._verdict(sock, pid)
                        continue
                    d = max(0.0, self.rng.gauss(self.delay, self.jitter))
                    seq += 1
                    heapq.heappush(held, (time.monotonic() + d, seq, pid))
        finally:
            for _, _, pid in held:
                self._verdict(sock, pid)
            sock.close()
