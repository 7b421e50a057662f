"""Property-based fuzzing of the REST API with schemathesis."""
