"""The migration engine: what to move (plan), how it changes on the way (transform),
moving it batch by batch (execute), where a run stands (progress), and the machinery
that hands batches to workers and recovers them after crashes (scheduling).
"""
