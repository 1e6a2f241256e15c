"""The image-processing Lambda function: decode an upload, render its variants, write them."""
