"""A burst of uploads through the local pipeline with injected S3 faults, then reconciled."""
