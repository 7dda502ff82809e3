#!/usr/bin/env python3
"""Transforms template.yaml with the SAM translator (aws-sam-translator, as `sam deploy` does)
and prints the resulting CloudFormation template as JSON.

What SAM generates is what AWS runs: the IAM role of every function (its policies expanded),
the HTTP API's routes (its OpenAPI body) and permissions. Local provisioning builds the local
IAM roles from this output, and tests check the routes in it against API Gateway's rules.

Warnings the translator prints (a dropped route, say) go to stderr and make this exit 3, since
the template's HTTP API sets FailOnWarnings and a deploy would fail on them.

Usage: sam_transform.py [template.yaml] [--param Name=Value ...]
"""
import argparse
import json
import logging
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from cfnlint.decode import decode_str  # noqa: E402  (reads !Ref & co. like CloudFormation)
from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.parser.parser import Parser  # noqa: E402
from samtranslator.translator.translator import Translator  # noqa: E402

# `sam build`/`sam package` replace CodeUri with the uploaded artifact; the translator wants
# an S3 location there, and nothing it generates depends on which.
ARTIFACT = "s3://lookout-artifacts/function.zip"


class WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("template", nargs="?", default="template.yaml")
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--account", default="123456789012")
    args = ap.parse_args()

    with open(args.template, encoding="utf-8") as f:
        tpl, matches = decode_str(f.read())
    if matches:
        for m in matches:
            print(f"template: {m}", file=sys.stderr)
        return 2
    tpl = json.loads(json.dumps(tpl, default=str))
    tpl.setdefault("Globals", {}).setdefault("Function", {})["CodeUri"] = ARTIFACT
    for res in tpl.get("Resources", {}).values():
        if res.get("Type") == "AWS::Serverless::Function":
            res.get("Properties", {}).pop("CodeUri", None)

    params = {
        "AWS::Region": args.region,
        "AWS::AccountId": args.account,
        "AWS::Partition": "aws",
        "AWS::StackName": "lookout",
        "AWS::URLSuffix": "amazonaws.com",
    }
    for p in args.param:
        k, _, v = p.partition("=")
        params[k] = v

    collector = WarningCollector()
    logging.getLogger("samtranslator").addHandler(collector)
    try:
        out = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
            sam_template=tpl, parameter_values=params
        )
    except InvalidDocumentException as e:
        for err in e.causes:
            print(f"SAM: {err.message}", file=sys.stderr)
        return 2
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()
    for w in collector.messages:
        print(f"SAM warning: {w}", file=sys.stderr)
    return 3 if collector.messages else 0


if __name__ == "__main__":
    sys.exit(main())
