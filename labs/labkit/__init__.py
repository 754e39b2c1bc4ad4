"""The small kit every bundled lab shares: event reporter, dataset loaders, checkpoints.

Nothing heavy is imported at module level: numpy and torch are imported where they are used.
"""
