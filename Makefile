# Lookout — the two commands that matter: `make start` and `make test`.
.PHONY: start test bootstrap build-arm64 lint fmt bench deploy

## Start the whole system locally (installs what is missing, moto, provisioning, watch, pump).
start:
	scripts/start.sh

## Run every check and test (what CI runs).
test:
	scripts/test.sh

bootstrap:
	scripts/bootstrap.sh

## Deploy to AWS, first deploy and upgrades alike, without prompts (docs/deploy.md): the config
## comes from outside the repository (~/.config/lookout/deploy.yaml, or CONFIG=...).
##   make deploy [CONFIG=~/.config/lookout/staging.yaml] [DEPLOY_ARGS="--dry-run"]
deploy:
	scripts/deploy.sh $(if $(CONFIG),--config "$(CONFIG)") $(DEPLOY_ARGS)

## Release build of what deploys (arm64, provided.al2023): each domain's bootstrap binary,
## which serves all of that domain's functions (as `sam build` builds them).
build-arm64:
	cargo lambda build --release --arm64 $(foreach b,$(shell sed -n 's/^ *Binary: *//p' template.yaml | sort -u),--package $(b))

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml
	scripts/sam_validate.sh

fmt:
	cargo fmt --all

## Benchmarks (not part of the tests): every function vs Python/boto3 baselines (size, cold
## start, RSS, warm duration, CPU, DynamoDB units, cost model), log write units, scanner reads.
## Report: bench/results/latest.txt (+ .json). See README "Performance" and docs/cost.md.
bench:
	bench/run.sh

## Smoke test of a running stack: every route once, checked, then cleaned up (docs/deploy.md).
##   make smoke API=https://<api-id>.execute-api.<region>.amazonaws.com   (or http://127.0.0.1:9000)
## Admin token: $LOOKOUT_ADMIN_TOKEN (.local/admin-token only for a local stack). Extra flags: SMOKE_ARGS="--timeout 120".
.PHONY: smoke
smoke:
	@test -n "$(API)" || { echo "usage: make smoke API=https://<api-id>.execute-api.<region>.amazonaws.com" >&2; exit 2; }
	scripts/smoke.sh "$(API)" $(SMOKE_ARGS)
