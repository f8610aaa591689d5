"""The REST adapter: a FastAPI app per capability, under /{capability}, wrapped by Mangum."""
