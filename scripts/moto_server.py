#!/usr/bin/env python3
"""Runs moto_server on 127.0.0.1:PORT (0 = pick a free port) for local runs and tests.

Prints `MOTO_URL=http://127.0.0.1:<port>` once it answers. With --exit-on-eof it stops when its
standard input closes, so a test process that spawned it never leaves it behind.
"""
import argparse
import os
import sys
import threading
import time
import urllib.request

from moto.server import ThreadedMotoServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--exit-on-eof", action="store_true")
    args = ap.parse_args()

    port = args.port
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            break
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.05)
    print(f"MOTO_URL={url}", flush=True)

    if args.exit_on_eof:
        def watch_stdin() -> None:
            sys.stdin.read()
            os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
