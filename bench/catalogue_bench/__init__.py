"""The catalogue benchmark (quality.md P1): the gateway side by side with PostGraphile 4 on Q1–Q3.

Used by ``bench/run_bench.py`` (the orchestrator) and ``bench/check_same_rows.py`` (the same-rows check).
"""
