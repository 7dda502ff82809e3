# Lookout — the two commands that matter: `make start` and `make test`.
.PHONY: start test bootstrap build-arm64 lint fmt bench

## Start the whole system locally (installs what is missing, moto, provisioning, watch, pump).
start:
	scripts/start.sh

## Run every check and test (what CI runs).
test:
	scripts/test.sh

bootstrap:
	scripts/bootstrap.sh

## Release build of every function for Lambda (arm64, provided.al2023).
build-arm64:
	cargo lambda build --release --arm64 $(foreach d,$(wildcard functions/*),--package $(notdir $(d)))

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml

fmt:
	cargo fmt --all

## Benchmarks (not part of the tests): cold start vs Python/boto3, log write units, scanner reads.
bench:
	cargo run --release -p lookout-bench --bin coldstart -- --runs 5
	cargo run --release -p lookout-bench --bin log_write_units
	cargo run --release -p lookout-bench --bin scanner_reads
