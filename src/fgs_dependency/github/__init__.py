"""The runner interface: everything the action tells GitHub (log lines, workflow commands,
masks, step outputs, the job summary), with the one escaping path for outside text.

The base every stage uses: imports nothing of ours but errors.
"""
