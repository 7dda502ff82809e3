#!/usr/bin/env python3
"""Reads and checks the deploy config of scripts/deploy.sh against template.yaml.

    deploy_config.py check CONFIG --params-out FILE    # prints shell assignments (STACK, REGION, ...)
    deploy_config.py concurrency CONFIG --account-limit N

The config lives outside the repository (docs/deploy.md, step 2), as YAML:

    stack: lookout                      # CloudFormation stack name (default lookout)
    region: eu-west-1                   # where SES is set up
    admin_token_file: ~/.config/lookout/admin-token   # the token; only its SHA-256 is deployed
    parameters:                         # any parameter of template.yaml by its name
      AdminEmail: ops@example.com
      SenderEmail: lookout@example.com

Every problem is reported at once, each on its own line, and the exit status is 2; nothing
is written then. `check` writes the template parameters (with AdminTokenSha256, computed from
the token file, so the hash never appears on a command line) as JSON to --params-out, which
`sam deploy --parameter-overrides file://...` reads (name it .yaml: JSON is YAML, and SAM
reads only .toml, .yaml and .yml there). Runs under the SAM CLI's virtualenv
(PyYAML); no AWS call is made here.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

# The SHA-256 of "" and of "\n": they fit the pattern, and a stack deployed with either
# answers every admin call 401. template.yaml's Rules refuse them too.
EMPTY_HASHES = {
    hashlib.sha256(b"").hexdigest(): "an empty token",
    hashlib.sha256(b"\n").hexdigest(): "a lone newline (an empty token through echo)",
}
MIN_TOKEN_LENGTH = 32
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
CONFIG_KEYS = {"stack", "region", "admin_token_file", "parameters"}
# What AWS Lambda keeps unreserved in every account: reservations may use the rest.
UNRESERVED_MINIMUM = 100


class CfnLoader(yaml.SafeLoader):
    """template.yaml with its short-form intrinsics (!Ref, !Sub, ...) read as plain values."""


def _any_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


CfnLoader.add_multi_constructor("!", _any_tag)


@functools.cache
def template() -> dict[str, Any]:
    """template.yaml, read once per run."""
    with open(TEMPLATE, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)


def template_parameters() -> dict[str, dict[str, Any]]:
    return template()["Parameters"]


def template_resources() -> dict[str, dict[str, Any]]:
    return template()["Resources"]


def inside_repository(path: Path) -> bool:
    try:
        path.resolve().relative_to(ROOT)
        return True
    except ValueError:
        return False


def as_parameter_value(value: Any) -> str:
    """YAML scalars as CloudFormation sees them: `false` is "false", not Python's "False"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def check_parameter(name: str, spec: dict[str, Any], value: str) -> list[str]:
    errors = []
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [as_parameter_value(a) for a in allowed]:
        errors.append(f"parameters.{name}: {value!r} is not one of {', '.join(as_parameter_value(a) for a in allowed)}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        what = spec.get("ConstraintDescription", f"the pattern {pattern}")
        errors.append(f"parameters.{name}: {value!r} is not {what}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return errors + [f"parameters.{name}: {value!r} is not a number"]
        if "MinValue" in spec and number < float(spec["MinValue"]):
            errors.append(f"parameters.{name}: {value} is below its minimum {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            errors.append(f"parameters.{name}: {value} is above its maximum {spec['MaxValue']}")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        errors.append(f"parameters.{name}: longer than {spec['MaxLength']} characters")
    return errors


def token_hash(config: dict[str, Any], config_path: Path, errors: list[str]) -> str | None:
    raw = config.get("admin_token_file")
    if not raw:
        errors.append(
            "admin_token_file: missing: the file holding the admin token (make one with "
            "`openssl rand -hex 32 > ~/.config/lookout/admin-token`, docs/deploy.md)"
        )
        return None
    path = Path(os.path.expanduser(str(raw)))
    if not path.is_absolute():
        path = config_path.parent / path
    if inside_repository(path):
        errors.append(f"admin_token_file: {path} is inside the repository; keep the token outside it")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        errors.append(f"admin_token_file: cannot read {path}: {e.strerror or e}")
        return None
    # As `printf %s "$(cat file)"` would: trailing newlines are not part of the token.
    token = text.rstrip("\n")
    if not token:
        errors.append(f"admin_token_file: {path} is empty; an empty admin token is refused")
        return None
    if any(c.isspace() or not c.isprintable() for c in token):
        errors.append(f"admin_token_file: {path} holds whitespace or control characters; the token is one word")
        return None
    if len(token) < MIN_TOKEN_LENGTH:
        errors.append(
            f"admin_token_file: the token in {path} is {len(token)} characters; use at least "
            f"{MIN_TOKEN_LENGTH} (`openssl rand -hex 32` gives 64)"
        )
        return None
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load(config_path: Path) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    if inside_repository(config_path):
        errors.append(
            f"{config_path} is inside the repository; keep the deploy config outside it "
            "(default ~/.config/lookout/deploy.yaml)"
        )
    try:
        with open(config_path, encoding="utf-8") as f:
            config = yaml.safe_load(f) or {}
    except OSError as e:
        return {}, [f"cannot read the deploy config {config_path}: {e.strerror or e}"]
    except yaml.YAMLError as e:
        return {}, [f"{config_path} is not valid YAML: {e}"]
    if not isinstance(config, dict):
        return {}, [f"{config_path}: expected a mapping (stack, region, admin_token_file, parameters)"]
    for key in sorted(set(config) - CONFIG_KEYS):
        errors.append(f"{key}: unknown setting (known: {', '.join(sorted(CONFIG_KEYS))})")
    return config, errors


def resolve(config_path: Path) -> tuple[dict[str, Any], list[str]]:
    """The stack, region and complete parameter set, or every problem found."""
    config, errors = load(config_path)
    if not config and errors:
        return {}, errors
    stack = str(config.get("stack", "lookout"))
    if not STACK_NAME.fullmatch(stack):
        errors.append(f"stack: {stack!r} is not a CloudFormation stack name")
    region = config.get("region")
    if not region:
        errors.append("region: missing (the region where SES is set up, e.g. eu-west-1)")
    elif not REGION.fullmatch(str(region)):
        errors.append(f"region: {region!r} is not an AWS region name")
    specs = template_parameters()
    given = config.get("parameters") or {}
    if not isinstance(given, dict):
        errors.append("parameters: expected a mapping of template parameter names to values")
        given = {}
    params: dict[str, str] = {}
    for name, value in given.items():
        if name not in specs:
            errors.append(f"parameters.{name}: template.yaml has no such parameter")
            continue
        if name == "AdminTokenSha256":
            errors.append("parameters.AdminTokenSha256: give admin_token_file instead; the hash is computed from it")
            continue
        if value is None:
            errors.append(f"parameters.{name}: no value (remove the line to keep the default)")
            continue
        text = as_parameter_value(value)
        errors += check_parameter(name, specs[name], text)
        params[name] = text
    digest = token_hash(config, config_path, errors)
    if digest is not None:
        if digest in EMPTY_HASHES:  # unreachable from a file, kept as the last word
            errors.append(f"admin_token_file: the token hashes to the SHA-256 of {EMPTY_HASHES[digest]}")
        params["AdminTokenSha256"] = digest
    for name, spec in specs.items():
        if name not in params and "Default" not in spec and name != "AdminTokenSha256":
            errors.append(f"parameters.{name}: missing: {spec.get('Description', 'required by template.yaml')}")
    return {"stack": stack, "region": str(region or ""), "parameters": params}, errors


def reserved_concurrency(params: dict[str, str]) -> dict[str, int]:
    """Executions each reservation parameter reserves in total (it may apply to several functions)."""
    specs = template_parameters()
    totals: dict[str, int] = {}
    for resource in template_resources().values():
        value = (resource.get("Properties") or {}).get("ReservedConcurrentExecutions")
        # `!If [ReserveX, !Ref ReservedConcurrencyX, !Ref AWS::NoValue]`, read as a plain list.
        names = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v in specs]
        for name in names:
            per_function = int(params.get(name, as_parameter_value(specs[name].get("Default", 0))))
            totals[name] = totals.get(name, 0) + per_function
    return totals


def concurrency_problem(params: dict[str, str], account_limit: int) -> str | None:
    totals = reserved_concurrency(params)
    reserved = sum(totals.values())
    if account_limit - reserved >= UNRESERVED_MINIMUM:
        return None
    detail = ", ".join(f"{name} {total}" for name, total in sorted(totals.items()) if total)
    return (
        f"this account's Lambda concurrency quota in the region is {account_limit}; the stack "
        f"reserves {reserved} ({detail}) and AWS keeps {UNRESERVED_MINIMUM} unreserved, so the "
        f"deploy would fail. New accounts often start at 10. Either request an increase "
        f"(Service Quotas: AWS Lambda, 'Concurrent executions', L-B99A9384; 1,000 is the usual "
        f"default) or set the ReservedConcurrency* parameters to 0 in the deploy config (no "
        f"capacity is then held back for the heartbeat path; docs/hardening.md)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("config", type=Path)
    check.add_argument("--params-out", type=Path, required=True)
    conc = sub.add_parser("concurrency")
    conc.add_argument("config", type=Path)
    conc.add_argument("--account-limit", type=int, required=True)
    args = parser.parse_args()

    resolved, errors = resolve(args.config.expanduser().absolute())
    if errors:
        print(f"the deploy config {args.config} is not usable:", file=sys.stderr)
        for error in errors:
            print(f"  - {error}", file=sys.stderr)
        return 2
    if args.command == "concurrency":
        problem = concurrency_problem(resolved["parameters"], args.account_limit)
        if problem:
            print(problem, file=sys.stderr)
            return 3
        reserved = sum(reserved_concurrency(resolved["parameters"]).values())
        print(f"Lambda concurrency: quota {args.account_limit}, the stack reserves {reserved}")
        return 0
    fd = os.open(args.params_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(resolved["parameters"], f, indent=1, sort_keys=True)
    shown = sorted(k for k in resolved["parameters"] if k != "AdminTokenSha256")
    print(f"STACK={shlex.quote(resolved['stack'])}")
    print(f"REGION={shlex.quote(resolved['region'])}")
    print(f"PARAMETERS_SET={shlex.quote(' '.join(['AdminTokenSha256 (hidden)'] + shown))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
