"""Run the pipeline on this machine: an embedded S3, the real handler, the demo."""
