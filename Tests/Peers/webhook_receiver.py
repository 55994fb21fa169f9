"""A webhook receiver for the service's tests, and the Standard Webhooks verification of what it
received with the `standardwebhooks` package from PyPI.

  python webhook_receiver.py serve LOG [--port P] [--status CODE] [--fail-first N] [--retry-after S] [--http-date]
      Answers every POST with CODE (default 200), or 503 with Retry-After S for the first N (as an
      HTTP date S seconds ahead with --http-date); writes
      each request (headers, body, time) as a JSON line to LOG; prints "listening PORT".
  python webhook_receiver.py verify LOG SECRET [SECRET...]
      Verifies every request in LOG with standardwebhooks.Webhook(SECRET); exit 1 if any fails."""
import json
import sys
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(log, port, status, fail_first, retry_after, http_date):
    seen = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with open(log, "a") as f:
                f.write(json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body.decode("utf-8"), "received": time.time()}) + "\n")
            seen["n"] += 1
            if seen["n"] <= fail_first:
                self.send_response(503)
                self.send_header("Retry-After", formatdate(time.time() + retry_after, usegmt=True) if http_date else str(retry_after))
            else:
                self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", server.server_address[1], flush=True)
    server.serve_forever()


def verify(log, secrets):
    from standardwebhooks.webhooks import Webhook
    bad = 0
    for line in open(log):
        request = json.loads(line)
        ok = False
        for secret in secrets:
            try:
                Webhook(secret).verify(request["body"], request["headers"])
                ok = True
            except Exception as error:  # noqa: BLE001 - report and go on
                last = error
        if not ok:
            bad += 1
            print("not verified:", request["headers"].get("webhook-id"), last)
    print("verified" if bad == 0 else f"{bad} not verified")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        args = sys.argv[3:]
        def option(name, default):
            return int(args[args.index(name) + 1]) if name in args else default
        serve(sys.argv[2], option("--port", 0), option("--status", 200), option("--fail-first", 0), option("--retry-after", 1),
              "--http-date" in args)
    else:
        verify(sys.argv[2], sys.argv[3:])
