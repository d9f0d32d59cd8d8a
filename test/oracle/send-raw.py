#!/usr/bin/env python3
"""Send one hand-built IPv4 packet the way libsoccr sends CRIU's forged FIN, and say what sendto did.

The kernel-oracle differential test (evaluatorDifferential.test.ts) runs this inside a network
namespace (`ip netns exec NS python3 send-raw.py ...`). Like libnet in libsoccr, it opens a raw
IPPROTO_RAW socket (IP_HDRINCL is implied), sets SO_MARK, builds the IP header and the TCP (or UDP)
header itself, and calls sendto(). The packet is locally generated, so it crosses the local-out
path (raw/mangle/nat/filter/security OUTPUT, mangle/nat POSTROUTING) synchronously inside sendto();
a netfilter drop there makes sendto fail with EPERM.

One request is `PROTO SRC SPORT DST DPORT FLAGS MARK`, e.g. `tcp 10.1.0.1 20001 127.0.0.1 80 FIN,ACK 0xc114`
(FLAGS is `-` for udp). The answer is one line: `sent`, or the errno name (`EPERM`, ...).

  send-raw.py REQUEST...   one packet, answer on stdout, exit 0
  send-raw.py --serve      one request per line on stdin, one answer per line on stdout, until EOF

Needs root (CAP_NET_RAW for the socket, CAP_NET_ADMIN for SO_MARK). Exit 2 on a malformed request.
"""
import errno
import socket
import struct
import sys

SO_MARK = getattr(socket, "SO_MARK", 36)
TCP_FLAGS = {"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20}


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build(proto: str, src: str, sport: int, dst: str, dport: int, flags: str) -> bytes:
    saddr, daddr = socket.inet_aton(src), socket.inet_aton(dst)
    if proto == "tcp":
        bits = 0
        for f in filter(None, flags.upper().split(",")):
            bits |= TCP_FLAGS[f]
        # seq, ack, data offset 5 words, flags, window, checksum, urgent pointer
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 0x1000, 0x2000 if bits & 0x10 else 0, 5 << 4, bits, 65535, 0, 0)
        number = socket.IPPROTO_TCP
        csum = checksum(saddr + daddr + struct.pack("!BBH", 0, number, len(l4)) + l4)
        l4 = l4[:16] + struct.pack("!H", csum) + l4[18:]
    elif proto == "udp":
        l4 = struct.pack("!HHHH", sport, dport, 8, 0)
        number = socket.IPPROTO_UDP
        csum = checksum(saddr + daddr + struct.pack("!BBH", 0, number, len(l4)) + l4) or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", csum)
    else:
        raise ValueError("proto must be tcp or udp")
    # version/IHL, TOS, total length, id, DF, TTL, protocol, checksum (the kernel fills it in)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0x4C11, 0x4000, 64, number, 0, saddr, daddr)
    return ip + l4


def send(words: list) -> str:
    proto, src, sport, dst, dport, flags, mark = words
    packet = build(proto, src, int(sport), dst, int(dport), "" if flags == "-" else flags)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        # As bytes: marks above 0x7fffffff do not fit setsockopt's signed int argument.
        s.setsockopt(socket.SOL_SOCKET, SO_MARK, struct.pack("=I", int(mark, 0)))
        s.sendto(packet, (dst, 0))
        return "sent"
    except OSError as e:
        return errno.errorcode.get(e.errno, "errno%d" % e.errno) if e.errno else str(e)
    finally:
        s.close()


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            try:
                answer = send(words)
            except Exception as e:  # one bad request must not end the session
                answer = "bad-request %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
            sys.stdout.write(answer + "\n")
            sys.stdout.flush()
        return 0
    try:
        print(send(sys.argv[1:]))
    except (ValueError, KeyError, struct.error, OSError) as e:
        print("bad request: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
