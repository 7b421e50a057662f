"""`python -m tools.conformance [broker ...]`: check the named brokers, or every installed one."""

import sys

from tools.conformance import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:] or None))
