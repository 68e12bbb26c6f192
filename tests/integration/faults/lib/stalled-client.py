"""A client that opens an SSE stream and then stops reading (for the stall tests).

Node cannot set SO_RCVBUF on a socket; Python can, before connect(), so the kernel holds only a
few KiB for this client and the server sees it back up at once. Usage:

    python3 stalled-client.py HOST PORT PATH [RCVBUF]

RCVBUF 0 (the default) keeps the kernel's own buffers. It prints one JSON line when the headers
and the first bytes are in and it has stopped reading, then waits for a line on stdin, then reads
what the kernel kept for it until the server's FIN or reset, and prints a second JSON line.
"""

import json
import socket
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rcvbuf = int(sys.argv[4]) if len(sys.argv) > 4 else 0

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if rcvbuf > 0:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
sock.connect((host, port))
sock.sendall(
    f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
)
received = b""
while b"\r\n\r\n" not in received or b"\ndata:" not in received:
    chunk = sock.recv(4096)
    if not chunk:
        break
    received += chunk
status = received.split(b"\r\n", 1)[0].decode(errors="replace")
print(
    json.dumps(
        {
            "event": "stopped",
            "status": status,
            "received": len(received),
            "rcvbuf": sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
            "at": time.time(),
        }
    ),
    flush=True,
)

sys.stdin.readline()
sock.settimeout(10)
after = 0
ending = "timeout"
try:
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            ending = "fin"
            break
        after += len(chunk)
except ConnectionResetError:
    ending = "reset"
except socket.timeout:
    ending = "timeout"
print(json.dumps({"event": "drained", "after_stop": after, "ending": ending}), flush=True)
sock.close()
