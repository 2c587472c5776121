.PHONY: bench

# Benchmarks (root; ~10-15 min): prints ratios and writes bench/RESULTS.md.
bench:
	bench/run
