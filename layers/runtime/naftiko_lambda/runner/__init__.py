"""Step 3 of the flow: the runner. An exposed operation's plan, run with the caller's inputs.

steps.py (run: the step kinds), scope.py (what templates see), outputs.py (the result and its
shape), runtime.py (what an entry builds once: transport, upstreams, credentials, the guard),
seams.py (the Protocols it talks through), idempotency.py (exactly-once writes), fetch.py (one
exchange outside a plan), values.py (booleans as text). It calls consumes/ for every upstream
request and never imports exposes/.
"""
