"""Operate a deployed stack: read its outputs, smoke-test it, backfill its uploads."""
