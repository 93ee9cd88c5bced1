"""The cleaning library: plain functions, no Dagster. Each step returns its result and a record of what it did."""

from pipeline.text.mojibake import MojibakeReport, fix_mojibake, has_mojibake, repair_mojibake

__all__ = ["MojibakeReport", "fix_mojibake", "has_mojibake", "repair_mojibake"]
