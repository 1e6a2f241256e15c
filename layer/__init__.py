"""The Pillow Lambda layer: its pinned requirements and the builder that installs them."""
