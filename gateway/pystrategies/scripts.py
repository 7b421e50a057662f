"""The folder of Python strategies: script files, their logs and working folders, and what a valid one is.

Layout under the folder (`PYTHON_STRATEGIES_DIR`, by default `strategies/` beside a SQLite database):
`scripts/<id>.py` holds the text, `logs/<id>.log` (plus rotated `.1`, `.2`, ...) its output, and
`work/<id>/` is the script's working directory. File names come from row ids, never from user input.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from sqlalchemy.engine import make_url

from generated.errors import PayloadTooLarge, ValidationFailed

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}[A-Za-z0-9_.-]?$")
NAME_RULE = "1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit"
TAIL_BYTES = 64 * 1024  # the most a log view reads from the end of a file


def default_folder(database_url: str) -> Path:
    """`strategies/` beside a SQLite database file, else `./strategies`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / "strategies"
    return Path("strategies")


def check_name(name: object) -> str:
    """The name, trimmed; a 400 naming the `name` field when it breaks the rule."""
    text = name.strip() if isinstance(name, str) else ""
    if not NAME.match(text):
        raise ValidationFailed(f"A strategy name is {NAME_RULE}", errors={"name": [NAME_RULE]})
    return text


def check_source(source: bytes | str, *, max_bytes: int, filename: str = "strategy.py") -> str:
    """The script as text: UTF-8, no NUL, within `max_bytes`, and valid Python (compiled, never run)."""
    raw = source.encode() if isinstance(source, str) else source
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The script is {len(raw)} bytes; at most {max_bytes} bytes are accepted")
    if not raw.strip():
        raise ValidationFailed("The script is empty", errors={"script": ["empty"]})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationFailed(
            f"The script is not UTF-8 text (byte {e.start} is not)", errors={"script": ["not UTF-8"]}
        ) from None
    if "\x00" in text:
        raise ValidationFailed("The script contains a NUL character", errors={"script": ["NUL character"]})
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        message = f"The script is not valid Python: {e.msg} (line {e.lineno})"
        raise ValidationFailed(message, errors={"script": [message]}) from None
    except (ValueError, RecursionError, MemoryError) as e:  # e.g. an expression nested too deeply to compile
        message = f"The script cannot be compiled: {str(e) or type(e).__name__}"
        raise ValidationFailed(message, errors={"script": [message]}) from None
    return text


class ScriptFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        for folder in (self.root / "scripts", self.root / "logs", self.root / "work"):
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)  # users' code and output: the owner's eyes only

    def script(self, strategy_id: int) -> Path:
        return self.root / "scripts" / f"{strategy_id}.py"

    def log(self, strategy_id: int) -> Path:
        return self.root / "logs" / f"{strategy_id}.log"

    def workdir(self, strategy_id: int) -> Path:
        return self.root / "work" / str(strategy_id)

    @property
    def lock(self) -> Path:
        return self.root / "supervisor.lock"

    def write(self, strategy_id: int, text: str) -> None:
        """Replace the script atomically, so a running start never reads half a file."""
        self.ensure()
        target = self.script(strategy_id)
        partial = target.with_suffix(".py.partial")
        partial.write_text(text, encoding="utf-8")
        os.chmod(partial, 0o600)
        partial.replace(target)

    def read(self, strategy_id: int) -> str:
        try:
            return self.script(strategy_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def remove(self, strategy_id: int) -> None:
        self.script(strategy_id).unlink(missing_ok=True)
        for path in self.log(strategy_id).parent.glob(f"{strategy_id}.log*"):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.workdir(strategy_id), ignore_errors=True)

    def tail(self, strategy_id: int, lines: int = 200) -> list[str]:
        """The last `lines` lines of the current log file (reads at most the last 64 KiB)."""
        path = self.log(strategy_id)
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - TAIL_BYTES))
                data = handle.read()
        except FileNotFoundError:
            return []
        text = data.decode("utf-8", errors="replace").splitlines()
        if size > TAIL_BYTES and text:
            text = text[1:]  # the first line was cut by the seek
        return text[-lines:] if lines > 0 else []
