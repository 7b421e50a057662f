"""brokergate sandbox: the paper-trading engine and the offline market simulator."""
