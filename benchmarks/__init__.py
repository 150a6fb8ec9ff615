"""Performance at national scale: a synthetic landing zone, peer implementations and the benchmark runner."""
