"""The gateway core: settings, application factory, security, accounts, routing and the CLI."""

import sys

# httpx imports its command-line client, and with it rich's syntax highlighting, click and pygments
# (a tenth of a second and several MB at start-up), whenever they are installed. A None entry makes
# that import fail, which httpx answers by leaving the client out; the `httpx` command is unaffected.
sys.modules.setdefault("httpx._main", None)
