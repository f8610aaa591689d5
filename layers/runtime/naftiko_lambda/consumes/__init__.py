"""Steps 3-5 of the flow: bind arguments, build the upstream request, send it, read the answer."""
