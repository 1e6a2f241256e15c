"""Pulumi components and pure helpers of the image-pipeline stack."""
