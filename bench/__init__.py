"""The performance benchmark: the project's handler against a tutorial handler, libvips and sharp.

Run it with ``make bench`` (``python -m bench``); the encoder study is
``python -m bench.encoder_study``.
"""
