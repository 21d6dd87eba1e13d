"""tests/it/dnsutil.py: what the DNS tests (test_t2_dns.py) and the DNS
benchmark (bench/dnsbench.py) both need to talk to a DNS server on
127.0.0.1: a port free for UDP and TCP at once, and queries through
dnspython (python3-dnspython)."""

import socket

import dns.message
import dns.query
import dns.rdatatype


def free_dns_port():
    """A port free for both UDP and TCP on 127.0.0.1 (clusterd's --dns_port
    has no "any port": 0 turns it off)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise AssertionError("no free port for UDP and TCP")


def query(port, name, rdtype="A", tcp=False, timeout=5):
    """The reply of the server on 127.0.0.1:port to one question."""
    q = dns.message.make_query(name, rdtype)
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=timeout)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)


def answers(msg, rdtype):
    """The records of type rdtype in msg's answer section."""
    t = dns.rdatatype.from_text(rdtype)
    return [rd for rrset in msg.answer if rrset.rdtype == t for rd in rrset]
