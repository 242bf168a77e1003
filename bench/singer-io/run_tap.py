"""
Runs singer-io's tap-intercom, unmodified, against another Intercom base URL (the fixture), for
bench/tap-vs-singer-io.ts. Its client hard-codes https://api.intercom.io; this sets the instance's
base_url after construction. SINGER_IO_BASE_URL: the URL; SINGER_IO_PATH: directories to import
tap_intercom and singer from (colon-separated; empty when they are pip-installed);
BENCH_USAGE_FILE: where to write this process's CPU seconds and peak RSS at exit.
"""
import atexit
import json
import os
import resource
import sys

sys.path[:0] = [p for p in os.environ.get("SINGER_IO_PATH", "").split(":") if p]


def _write_usage():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["BENCH_USAGE_FILE"], "w") as out:
        json.dump({"cpuSeconds": usage.ru_utime + usage.ru_stime, "peakMb": usage.ru_maxrss / 1024}, out)


if os.environ.get("BENCH_USAGE_FILE"):
    atexit.register(_write_usage)

import tap_intercom.client as client  # noqa: E402

_init = client.IntercomClient.__init__


def _init_with_base_url(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.base_url = os.environ["SINGER_IO_BASE_URL"]


client.IntercomClient.__init__ = _init_with_base_url

import tap_intercom  # noqa: E402

tap_intercom.main()
