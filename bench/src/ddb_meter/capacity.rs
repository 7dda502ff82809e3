//! DynamoDB's sizing rules on the JSON wire bodies: item sizes, and the read and write
//! capacity units of each operation.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

/// A DynamoDB JSON attribute value (`{"S": "x"}`) as the SDK's type.
pub fn attribute(v: &Value) -> Option<AttributeValue> {
    let (kind, inner) = v.as_object()?.iter().next()?;
    let strings = |x: &Value| -> Option<Vec<String>> {
        x.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    Some(match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str()?.to_owned()),
        "N" => AttributeValue::N(inner.as_str()?.to_owned()),
        "B" => AttributeValue::B(Blob::new(vec![0; base64_len(inner.as_str()?)])),
        "BOOL" => AttributeValue::Bool(inner.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(strings(inner)?),
        "BS" => AttributeValue::Bs(
            strings(inner)?
                .iter()
                .map(|s| Blob::new(vec![0; base64_len(s)]))
                .collect(),
        ),
        "L" => AttributeValue::L(inner.as_array()?.iter().filter_map(attribute).collect()),
        "M" => AttributeValue::M(item(inner)),
        _ => return None,
    })
}

/// Decoded length of base64 text.
fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
    (text.len() / 4 * 3).saturating_sub(padding)
}

/// A DynamoDB JSON item (`{"pk": {"S": "x"}, …}`) as the SDK's map.
pub fn item(v: &Value) -> HashMap<String, AttributeValue> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), attribute(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Billed size of a DynamoDB JSON item; 0 for none.
pub fn size(v: Option<&Value>) -> usize {
    v.map_or(0, |v| lookout_core::ddb::item_size(&item(v)))
}

/// RCUs of reading `bytes`: 1 per started 4 KB, half when eventually consistent.
fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// WCUs of writing `bytes`: 1 per started 1 KB.
fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Whether a read asks for strong consistency.
fn consistent(q: &Value) -> bool {
    q.get("ConsistentRead").and_then(Value::as_bool) == Some(true)
}

/// One write target of a request: table and key, or table and a new item (Put).
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Key { table: String, key: Value },
    Put { table: String, item: Value },
}

/// The items a write request touches, in order.
pub(crate) fn write_targets(op: &str, q: &Value) -> Vec<Target> {
    let table = |v: &Value| {
        v.get("TableName")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let one = |v: &Value, put: bool| -> Option<Target> {
        let table = table(v)?;
        if put {
            Some(Target::Put {
                table,
                item: v.get("Item")?.clone(),
            })
        } else {
            Some(Target::Key {
                table,
                key: v.get("Key")?.clone(),
            })
        }
    };
    match op {
        "PutItem" => one(q, true).into_iter().collect(),
        "UpdateItem" | "DeleteItem" => one(q, false).into_iter().collect(),
        "TransactWriteItems" => q
            .get("TransactItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                if let Some(p) = t.get("Put") {
                    one(p, true)
                } else {
                    ["Update", "Delete", "ConditionCheck"]
                        .iter()
                        .find_map(|k| t.get(*k))
                        .and_then(|x| one(x, false))
                }
            })
            .collect(),
        "BatchWriteItem" => q
            .get("RequestItems")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .flat_map(|(table, reqs)| {
                reqs.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        if let Some(item) = r.get("PutRequest").and_then(|p| p.get("Item")) {
                            Some(Target::Put {
                                table: table.clone(),
                                item: item.clone(),
                            })
                        } else {
                            r.get("DeleteRequest")
                                .and_then(|d| d.get("Key"))
                                .map(|key| Target::Key {
                                    table: table.clone(),
                                    key: key.clone(),
                                })
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A secondary index as DescribeTable describes it: its key attributes and projection
/// (`ALL`, `KEYS_ONLY` or `INCLUDE` with `non_key`).
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub keys: Vec<String>,
    pub projection: String,
    pub non_key: Vec<String>,
}

impl Index {
    /// What of `item` the index holds: `None` when the item lacks an index key attribute
    /// (a sparse index skips it), else the projected attributes (`table_keys` always).
    fn project(&self, table_keys: &[String], item: Option<&Value>) -> Option<Value> {
        let item = item?.as_object()?;
        if !self.keys.iter().all(|k| item.contains_key(k)) {
            return None;
        }
        if self.projection == "ALL" {
            return Some(Value::Object(item.clone()));
        }
        let kept = item
            .iter()
            .filter(|(name, _)| {
                self.keys.contains(name)
                    || table_keys.contains(name)
                    || (self.projection == "INCLUDE" && self.non_key.contains(name))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(Value::Object(kept))
    }
}

/// WCUs a write costs in one secondary index, by DynamoDB's rules: an item entering the index
/// is one write of its projected size, one leaving it one write of its old projected size, one
/// whose index key changed both (delete and put); one whose projected attributes changed with
/// the same key one write of the larger; an unchanged projection none.
pub fn index_write_units(
    index: &Index,
    table_keys: &[String],
    before: Option<&Value>,
    after: Option<&Value>,
) -> f64 {
    let old = index.project(table_keys, before);
    let new = index.project(table_keys, after);
    let key_of = |v: &Value| -> Vec<Option<Value>> {
        index.keys.iter().map(|k| v.get(k).cloned()).collect()
    };
    match (&old, &new) {
        (None, None) => 0.0,
        (None, Some(n)) => write_units(size(Some(n))),
        (Some(o), None) => write_units(size(Some(o))),
        (Some(o), Some(n)) if o == n => 0.0,
        (Some(o), Some(n)) if key_of(o) != key_of(n) => {
            write_units(size(Some(o))) + write_units(size(Some(n)))
        }
        (Some(o), Some(n)) => write_units(size(Some(o)).max(size(Some(n)))),
    }
}

/// `(rcu, wcu)` of one DynamoDB request: `q` the request, `r` the response, `before`/`after`
/// the sizes of the items it writes (see `Upstream::images`).
pub fn capacity(op: &str, q: &Value, r: &Value, before: &[usize], after: &[usize]) -> (f64, f64) {
    let at = |v: &[usize], i: usize| v.get(i).copied().unwrap_or(0);
    match op {
        "GetItem" => (read_units(size(r.get("Item")), consistent(q)), 0.0),
        "Query" | "Scan" => {
            let bytes: usize = r
                .get("Items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|i| size(Some(i)))
                .sum();
            (read_units(bytes, consistent(q)), 0.0)
        }
        "BatchGetItem" => {
            let mut rcu = 0.0;
            for (table, req) in q
                .get("RequestItems")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let strong = consistent(req);
                let asked = req
                    .get("Keys")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let got: Vec<&Value> = r["Responses"][table]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect();
                rcu += got
                    .iter()
                    .map(|i| read_units(size(Some(i)), strong))
                    .sum::<f64>();
                rcu = (asked.saturating_sub(got.len()) as f64).mul_add(read_units(0, strong), rcu);
            }
            (rcu, 0.0)
        }
        "TransactGetItems" => {
            let rcu = r
                .get("Responses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| 2.0 * read_units(size(x.get("Item")), true))
                .sum();
            (rcu, 0.0)
        }
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => {
            let factor = if op == "TransactWriteItems" { 2.0 } else { 1.0 };
            let targets = write_targets(op, q);
            let wcu = targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let new = match t {
                        Target::Put { item, .. } => size(Some(item)),
                        Target::Key { .. } => at(after, i),
                    };
                    factor * write_units(at(before, i).max(new))
                })
                .sum();
            (0.0, wcu)
        }
        _ => (0.0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{capacity, size};

    #[test]
    fn sizes_follow_dynamodb_rules() {
        // "pk" (2) + "abc" (3) + "n" (1) + 3 digits (2+1) + "b" (1) + 3 bytes
        let it = json!({"pk": {"S": "abc"}, "n": {"N": "123"}, "b": {"B": "AAAA"}});
        assert_eq!(size(Some(&it)), 2 + 3 + 1 + 3 + 1 + 3);
        assert_eq!(size(None), 0);
        let nested = json!({"m": {"M": {"k": {"S": "v"}}}, "l": {"L": [{"BOOL": true}]}});
        // m: 1 + (3 + 1 + 1 + 1) ; l: 1 + (3 + 1 + 1)
        assert_eq!(size(Some(&nested)), 7 + 6);
    }

    #[test]
    fn index_writes_follow_dynamodb_rules() {
        use super::{index_write_units, Index};
        let keys = vec!["pk".to_owned()];
        let due = Index {
            name: "due".into(),
            keys: vec!["shard".into(), "dueAt".into()],
            projection: "KEYS_ONLY".into(),
            non_key: vec![],
        };
        let all = Index {
            projection: "ALL".into(),
            ..due.clone()
        };
        let big = "x".repeat(3000);
        let item = |due_at: &str, note: &str| json!({"pk": {"S": "a"}, "shard": {"N": "1"}, "dueAt": {"S": due_at}, "note": {"S": note}});
        let (a, b) = (item("10", &big), item("20", &big));
        // Not in the index before or after (sparse): nothing.
        let plain = json!({"pk": {"S": "a"}});
        assert_eq!(
            index_write_units(&due, &keys, Some(&plain), Some(&plain)),
            0.0
        );
        // Entering: one write of the projection (keys only: small).
        assert_eq!(index_write_units(&due, &keys, Some(&plain), Some(&a)), 1.0);
        // ... of the whole item with ALL (3 KB: 3 units).
        assert_eq!(index_write_units(&all, &keys, None, Some(&a)), 3.0);
        // The index key moved: a delete and a put.
        assert_eq!(index_write_units(&due, &keys, Some(&a), Some(&b)), 2.0);
        assert_eq!(index_write_units(&all, &keys, Some(&a), Some(&b)), 6.0);
        // A non-projected attribute changed: nothing in a keys-only index, the item with ALL.
        let c = item("10", "short");
        assert_eq!(index_write_units(&due, &keys, Some(&a), Some(&c)), 0.0);
        assert_eq!(index_write_units(&all, &keys, Some(&a), Some(&c)), 3.0);
        // Leaving (deleted): one write.
        assert_eq!(index_write_units(&due, &keys, Some(&a), None), 1.0);
    }

    #[test]
    fn units_per_operation() {
        let big = "x".repeat(5000);
        let r = json!({"Item": {"pk": {"S": big}}});
        assert_eq!(capacity("GetItem", &json!({}), &r, &[], &[]), (1.0, 0.0));
        assert_eq!(
            capacity("GetItem", &json!({"ConsistentRead": true}), &r, &[], &[]),
            (2.0, 0.0)
        );
        assert_eq!(
            capacity("GetItem", &json!({}), &json!({}), &[], &[]),
            (0.5, 0.0)
        );
        let put = json!({"TableName": "t", "Item": {"pk": {"S": "a"}}});
        assert_eq!(capacity("PutItem", &put, &json!({}), &[0], &[]), (0.0, 1.0));
        assert_eq!(
            capacity("PutItem", &put, &json!({}), &[2048], &[]),
            (0.0, 2.0)
        );
        let upd = json!({"TableName": "t", "Key": {"pk": {"S": "a"}}});
        assert_eq!(
            capacity("UpdateItem", &upd, &json!({}), &[100], &[1500]),
            (0.0, 2.0)
        );
        let tx = json!({"TransactItems": [{"Put": put}, {"Update": upd}]});
        assert_eq!(
            capacity("TransactWriteItems", &tx, &json!({}), &[0, 10], &[0, 10]),
            (0.0, 4.0)
        );
        let q = json!({"TableName": "t"});
        let items = json!({"Items": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]});
        assert_eq!(capacity("Query", &q, &items, &[], &[]), (0.5, 0.0));
    }
}
