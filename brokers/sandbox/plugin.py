"""The sandbox plugin. The paper-trading operations are bound to the sandbox engine by the gateway."""


class SandboxPlugin:
    id = "sandbox"


plugin = SandboxPlugin()
