"""How long bot.mail.parse takes, and how much memory it needs, on the hostile mails of
issue 16: 80,000 short lines, 100,000 quoted lines, a 200 kB line that starts like "On …
wrote:", an HTML body of 40,000 "[", a 1.3 MB From:, a Subject: of 12,000 and 40,000 encoded
words. Each case runs in a fresh process (peak memory is per process).
`make bench`, or `python -m benchmarks.mail_parse [case ...]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

from bot.paths import ROOT
from tests.support import heavy_mail

CASES: dict[str, Callable[[], bytes]] = {
    "80,000 short lines": lambda: heavy_mail.many_lines(80_000),
    "100,000 quoted lines": lambda: heavy_mail.quoted_lines(100_000),
    "200 kB attribution line": lambda: heavy_mail.long_attribution(200_000),
    "HTML of 40,000 '['": lambda: heavy_mail.html_brackets(40_000),
    "1.3 MB From:": lambda: heavy_mail.long_from(1_300_000),
    "Subject of 12,000 words": lambda: heavy_mail.long_subject(12_000),
    "Subject of 40,000 words": lambda: heavy_mail.long_subject(40_000),
}


def measure(case: str) -> dict[str, float]:
    from bot.mail.parse import parse

    raw = CASES[case]()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parse(raw)
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    tracemalloc.start()
    parse(raw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"bytes": len(raw), "seconds": seconds, "rss_mb": grown / 1024, "peak_mb": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", nargs="*", help="names as printed (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(f"{'case':<26} {'size':>9} {'time':>9} {'RSS grown':>10} {'traced peak':>12}")
    for case in args.cases or list(CASES):
        run = subprocess.run(
            [sys.executable, "-m", "benchmarks.mail_parse", "--child", case],
            capture_output=True,
            cwd=ROOT,
            text=True,
        )
        if run.returncode:
            print(f"{case:<26} failed: {run.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(run.stdout)
        print(
            f"{case:<26} {r['bytes'] / 1000:>7.0f}kB {r['seconds']:>8.3f}s"
            f" {r['rss_mb']:>8.1f}MB {r['peak_mb']:>10.1f}MB"
        )


if __name__ == "__main__":
    main()
