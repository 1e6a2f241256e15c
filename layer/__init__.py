"""The function's Lambda layer (Pillow, the AWS SDK): its pinned requirements and its builder."""
