"""First start: write `.env` with fresh secrets, so that `make run` needs no manual set-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TEMPLATE = """\
# brokergate settings, created on first start. Keep this file private: it holds the secrets that
# protect stored API keys and broker tokens. Changing APP_KEY makes stored secrets unreadable.
APP_KEY={app_key}
API_KEY_PEPPER={pepper}
DATABASE_URL=sqlite:///db/brokergate.db
HOST=127.0.0.1
PORT=5000
WEBSOCKET_HOST=127.0.0.1
WEBSOCKET_PORT=8765
"""


def ensure_env_file(path: Path = Path(".env")) -> bool:
    """Create `path` with fresh 64-hex secrets unless it exists; return whether it was created."""
    if path.exists():
        return False
    path.write_text(TEMPLATE.format(app_key=secrets.token_hex(32), pepper=secrets.token_hex(32)))
    os.chmod(path, 0o600)
    return True
