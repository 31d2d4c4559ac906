"""svc_testlib.py - what the live centre's integration tests share
(test_serve.py, test_console.py): their ok/FAIL lines, a free port and
waiting for a started centre to listen."""
import socket
import sys
import time

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


def wait_port(port, proc, seconds=30):
    """Wait until 127.0.0.1:port accepts; False if proc exited or time ran out."""
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    return False
