"""Job kinds: small adapters from a job's JSON config to the engines (train, faults, mapping,
performance), each returning a JSON result."""
