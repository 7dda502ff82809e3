#!/usr/bin/env python3
"""Copies every item of one DynamoDB table into another (docs/deploy.md, "Backups and restore").

    AWS_REGION=eu-west-1 .local/venv-sam/bin/python scripts/copy_table.py SOURCE TARGET

For putting a restored table's items back into the stack's table, or re-attaching the data of
a deleted stack's retained tables to a new stack's. The target must have the same key schema.
Items are written as they are in the source, over target items with the same key; items only
in the target stay. Reads the source in scan pages (consistent reads), writes batches of 25
and retries unprocessed items with backoff until each is written; throttling is retried by the
SDK. Prints the count copied. Exit status 0 when every item was written, 1 otherwise, 2 on a
usage error (e.g. key schemas differ). Needs boto3 (the SAM CLI's virtualenv has it);
AWS_ENDPOINT_URL points it at another endpoint (the tests use moto).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import boto3
from botocore.config import Config

BATCH = 25
MAX_ROUNDS = 12  # unprocessed-item rounds per batch, backoff doubling from 50 ms (about 3.5 min)


def key_schema(client: Any, table: str) -> list[dict[str, str]]:
    return client.describe_table(TableName=table)["Table"]["KeySchema"]


def write_batch(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    requests = {table: [{"PutRequest": {"Item": item}} for item in items]}
    delay = 0.05
    for _ in range(MAX_ROUNDS):
        left = client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        if not left.get(table):
            return
        requests = left
        time.sleep(delay)
        delay = min(delay * 2, 30.0)
    raise RuntimeError(f"{len(requests[table])} items still unprocessed after {MAX_ROUNDS} rounds")


def copy(client: Any, source: str, target: str) -> int:
    copied = 0
    pages = client.get_paginator("scan").paginate(TableName=source, ConsistentRead=True)
    for page in pages:
        items = page.get("Items", [])
        for start in range(0, len(items), BATCH):
            write_batch(client, target, items[start : start + BATCH])
            copied += len(items[start : start + BATCH])
    return copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("target")
    args = parser.parse_args()
    if args.source == args.target:
        print("source and target are the same table", file=sys.stderr)
        return 2
    client = boto3.client("dynamodb", config=Config(retries={"max_attempts": 10, "mode": "adaptive"}))
    if key_schema(client, args.source) != key_schema(client, args.target):
        print(f"{args.source} and {args.target} have different key schemas", file=sys.stderr)
        return 2
    try:
        copied = copy(client, args.source, args.target)
    except RuntimeError as e:
        print(f"copy incomplete: {e}", file=sys.stderr)
        return 1
    print(f"copied {copied} items from {args.source} to {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
