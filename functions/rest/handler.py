"""REST function entry (the layer holds the code): serves the capability named by CAPABILITY_FILE."""

from naftiko_lambda.exposes.rest.handler import handler

__all__ = ["handler"]
