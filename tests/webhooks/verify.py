"""Verifies one webhook request captured by the Rust API tests with the
Standard Webhooks reference library (PyPI `standardwebhooks`), as a
receiver written in Python would.

Usage: verify.py FILE SECRET

FILE is JSON: {"headers": {name: value}, "body": "<the body as sent>"}.
Prints the event's type and exits 0 when the request verifies; says why
and exits 1 when it does not (2 for a usage error).
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, secret = argv[1], argv[2]
    with open(path, encoding="utf-8") as f:
        captured = json.load(f)
    try:
        payload = Webhook(secret).verify(captured["body"], captured["headers"])
    except WebhookVerificationError as e:
        print(f"not verified: {e}", file=sys.stderr)
        return 1
    print(payload["type"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
