# MicroPython-side runner for test_device_utrn_vectors.py: argv[1] = JSON cases, argv[2] = project root.
# Prints one line per case: the verdicts ("ok" or a rejection reason) of its UTRNs, in order.
import json
import sys

sys.path.insert(0, sys.argv[2])
from firmware import utrn  # noqa: E402

H = bytes.fromhex

with open(sys.argv[1]) as f:
    cases = json.load(f)
for case in cases:
    meter = utrn.Meter(H(case["meter"]), H(case["ka_private"]), H(case["supplier"]), H(case["pp_public"]),
                       case["max_topup"], case["credit_limit"])
    out = []
    for u in case["utrns"]:
        try:
            meter.accept(u, 0)
            out.append("ok")
        except utrn.UtrnRejected as e:
            out.append(e.reason)
    print(" ".join(out))
