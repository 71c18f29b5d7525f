"""Fault drills: what a run really left on the target, read from the emulated help desks'
own storage (never from the engine's record map or report), and the drills that kill,
stop and starve a run to see whether that stays whole."""
