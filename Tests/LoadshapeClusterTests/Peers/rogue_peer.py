#!/usr/bin/env python3
"""A peer that is not ours (pyzmq), attacking a running Loadshape coordinator.

usage: rogue_peer.py ENDPOINT COORDINATOR_PUB AUTHORIZED_KEY_FILE

1. raw TCP garbage at the port;
2. a plain (no CURVE) DEALER sending garbage and a well-formed hello;
3. a CURVE DEALER with a key the coordinator does not list, sending a hello;
   each of these must receive nothing at all;
4. a CURVE DEALER with a listed key (a compromised but authorized peer) sending garbage, a frame with a wrong
   version, a corrupt checksum, a truncated frame, a multi-part message, an oversized message and a partial for a
   job that does not exist: the coordinator must reject each and keep running (it answers a later heartbeat).
Exits 0 when every expectation holds, 1 otherwise (printing why).
"""
import socket
import struct
import sys
import time
import zlib

import zmq

endpoint, server_pub_file, authorized_key_file = sys.argv[1:4]


def read_key(path, field=None):
    # A .pub file holds the key alone on a line; a .key file holds `field = key` lines. Z85 keys may contain
    # '=' and '#' (though never a leading '#'), so a bare key is the 40-character line that is not a comment.
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            continue
        if field is None and len(line) == 40:
            return line.encode()
        if field and line.startswith(field + " =") or (field and line.startswith(field + "=")):
            return line.split("=", 1)[1].strip().encode()
    raise SystemExit(f"{path}: no key")


server_pub = read_key(server_pub_file)
auth_pub = read_key(authorized_key_file, "public-key")
auth_sec = read_key(authorized_key_file, "secret-key")


def frame(msg_type, payload, version=1, crc=None):
    crc = zlib.crc32(payload) & 0xFFFFFFFF if crc is None else crc
    return b"LSWP" + struct.pack("<HBBII", version, msg_type, 0, len(payload), crc) + payload


def wire_str(s):
    b = s.encode()
    return struct.pack("<I", len(b)) + b


hello = frame(1, wire_str("rogue") + struct.pack("<I", 1))
failures = []
ctx = zmq.Context()


def expect_silence(sock, what, seconds=1.5):
    if sock.poll(int(seconds * 1000)):
        failures.append(f"{what}: the coordinator answered ({sock.recv_multipart()!r})")


# 1. Raw TCP garbage.
host, port = endpoint.replace("tcp://", "").rsplit(":", 1)
for junk in [b"\x00" * 64, b"GET / HTTP/1.1\r\n\r\n", bytes(range(256)) * 8]:
    s = socket.create_connection((host, int(port)), timeout=2)
    try:
        s.sendall(junk)
        s.settimeout(1.0)
        try:
            data = s.recv(4096)
            # libzmq sends its ZMTP greeting; it must never send a Loadshape frame.
            if b"LSWP" in data:
                failures.append("raw TCP: got a Loadshape frame")
        except (socket.timeout, ConnectionResetError):
            pass
    finally:
        s.close()

# 2. Plain DEALER without CURVE.
plain = ctx.socket(zmq.DEALER)
plain.setsockopt(zmq.LINGER, 0)
plain.setsockopt(zmq.ROUTING_ID, b"plain-rogue")
plain.connect(endpoint)
plain.send(b"garbage that is not a frame")
plain.send(hello)
expect_silence(plain, "plain DEALER")

# 3. CURVE DEALER with an unlisted key.
pub, sec = zmq.curve_keypair()
stranger = ctx.socket(zmq.DEALER)
stranger.setsockopt(zmq.LINGER, 0)
stranger.setsockopt(zmq.ROUTING_ID, b"stranger")
stranger.curve_serverkey = server_pub
stranger.curve_publickey = pub
stranger.curve_secretkey = sec
stranger.connect(endpoint)
stranger.send(hello)
expect_silence(stranger, "CURVE DEALER with an unlisted key")

# 4. An authorized peer sending bad messages.
insider = ctx.socket(zmq.DEALER)
insider.setsockopt(zmq.LINGER, 0)
insider.setsockopt(zmq.ROUTING_ID, b"insider")
insider.curve_serverkey = server_pub
insider.curve_publickey = auth_pub
insider.curve_secretkey = auth_sec
insider.connect(endpoint)
bad = [
    b"\xff" * 40,
    frame(4, wire_str("insider") + struct.pack("<Id", 0xFFFFFFFF, 0.0), version=9),
    frame(4, wire_str("insider") + struct.pack("<Id", 0xFFFFFFFF, 0.0), crc=1234),
    frame(4, wire_str("insider") + struct.pack("<Id", 0xFFFFFFFF, 0.0))[:-3],
    frame(42, b""),
    frame(5, wire_str("no-such-job") + struct.pack("<III", 0, 0, 0)),
]
for b in bad:
    insider.send(b)
insider.send_multipart([b"two", b"parts"])
time.sleep(0.5)
# Still alive: a heartbeat gets an answer.
insider.send(frame(4, wire_str("insider") + struct.pack("<Id", 0xFFFFFFFF, 0.0)))
if not insider.poll(5000):
    failures.append("authorized peer: no answer to a heartbeat after the bad messages (coordinator down?)")
else:
    insider.recv_multipart()
# Oversized: beyond the coordinator's ZMQ_MAXMSGSIZE the connection is dropped, the coordinator goes on.
try:
    insider.send(b"\x00" * (int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 28), zmq.NOBLOCK)
except zmq.Again:
    pass
time.sleep(0.5)
for s in (plain, stranger, insider):
    s.close()
ctx.term()
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("rogue peer: every attack got nothing or was rejected")
