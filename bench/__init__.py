"""Benchmarks: how far above the bare ask-sdk-core floor the Hälsporre skill runs.

``python -m bench`` measures every figure against its bare-SDK twin in the same run and
prints one table (see ``bench/README.md``).  Nothing here is imported by the skill.
"""
