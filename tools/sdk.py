"""Generate a Python client of the REST API from `spec/openapi.yaml` with openapi-python-client.

    python -m tools.sdk [--output build/sdk]

writes an installable project (`setup.py` plus the `brokergate_client` package) into the output
folder, replacing what was there. `make sdk` runs it; `tests/e2e/test_generated_client.py` runs
`generate()` into a temporary folder and drives a real server through the result. Any warning from
the generator fails the run, so a spec construct it cannot express is noticed at once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"
CONFIG = Path(__file__).resolve().parent / "sdk-config.yaml"
DEFAULT_OUTPUT = ROOT / "build" / "sdk"
PACKAGE = "brokergate_client"
_BIN = Path(sys.executable).parent


def generate(output: Path = DEFAULT_OUTPUT) -> Path:
    """Write the client project into `output`; return the folder to put on `sys.path` to import it."""
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(_BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(CONFIG),
        "--meta",
        "setup",
        "--output-path",
        str(output),
        "--overwrite",
        "--fail-on-warning",
    ]
    # The post hooks call `ruff` by name: use the one installed next to this interpreter.
    environment = os.environ | {"PATH": f"{_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(command, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openapi-python-client failed:\n{done.stdout}\n{done.stderr}")
    if not (output / PACKAGE / "__init__.py").is_file():
        raise RuntimeError(f"openapi-python-client wrote no {PACKAGE} package into {output}")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sdk", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="project folder to write (replaced)")
    arguments = parser.parse_args(argv)
    try:
        folder = generate(arguments.output)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"wrote {folder / PACKAGE}; install it with: pip install {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
