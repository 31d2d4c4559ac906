"""svc_testlib.py - what the live centre's integration tests share
(test_serve.py, test_console.py): their ok/FAIL lines and a free port."""
import socket
import sys

counts = {"passed": 0, "failed": 0}


def check(name, ok, why=""):
    if ok:
        counts["passed"] += 1
        print("ok   " + name)
    else:
        counts["failed"] += 1
        print("FAIL %s: %s" % (name, why))
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p
