"""The `brokergate` command's entry point, kept apart from the CLI so it runs before the CLI's imports.

Importing the gateway builds hundreds of thousands of objects that live as long as the process; with
the cyclic collector on, it sweeps them again and again meanwhile. So it is off for the imports, what
they built is frozen out of later collections, and it is back on before any command runs (`serve`
does the same around building the app: `gateway.allocator.long_lived_start`).
"""

import gc


def main() -> None:
    gc.disable()
    from gateway.cli import main as run_command

    gc.freeze()
    gc.enable()
    run_command()
