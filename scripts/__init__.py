"""Command-line tools around the pipeline: the local demo and its embedded S3 pipeline."""
