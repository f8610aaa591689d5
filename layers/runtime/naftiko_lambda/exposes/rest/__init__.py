"""The REST adapter: one ASGI app per capability, under /{capability}, wrapped by Mangum."""
