"""Step 2 of the flow: the typed model -> protocol surfaces (rest/, mcp/), one sub-package each.

inputs.py is shared by both: what an exposed operation takes, and how raw values are checked.
"""
