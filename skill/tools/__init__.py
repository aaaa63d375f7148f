"""Build tools: the Swedish clips and the ASK skill package."""
