"""The gateway core: settings, application factory, security, accounts, routing and the CLI."""
