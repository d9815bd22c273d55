"""Dangjian benchmarks: `make bench` runs every bench/bench_*.py module and writes docs-ready results."""
