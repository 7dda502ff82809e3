//! The app item's history fields (finished and open runs, ping outputs, downtime booking)
//! stored as one deflated JSON binary each instead of DynamoDB lists and maps.
//!
//! Why: every ping, signal and check-in rewrites the whole app item, and DynamoDB bills a
//! write by the item's size (an UpdateItem by the larger of the item before and after). As
//! lists of maps, a month's history (20 runs, 20 outputs, 30 days booked) is 6.5 KB of the
//! item; packed, 1.9 KB (the attribute names are not repeated per element and the timestamps
//! compress; `a_months_history_packs_small_and_reads_back`).
//!
//! Items written before keep their plain lists and maps: reading takes either form, and the
//! next write of the app packs them.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::marker::PhantomData;

use flate2::{read::DeflateDecoder, write::DeflateEncoder, Compression};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serializer};
use serde::Serialize;

/// Largest inflated history read back: far above what the bounds on runs, outputs and days
/// allow (an item is at most 400 KB), so only a corrupt attribute reaches it.
const MAX_INFLATED: u64 = 1 << 20;

/// `#[serde(with = "packed")]`: writes the value as deflated JSON bytes.
pub(crate) fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    let json = serde_json::to_vec(value).map_err(ser::Error::custom)?;
    let mut enc = DeflateEncoder::new(Vec::with_capacity(json.len() / 3), Compression::default());
    enc.write_all(&json).map_err(ser::Error::custom)?;
    let bytes = enc.finish().map_err(ser::Error::custom)?;
    s.serialize_bytes(&bytes)
}

/// Reads the packed form, or the plain one of items written before packing.
pub(crate) fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    d.deserialize_any(Packed(PhantomData))
}

struct Packed<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for Packed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deflated JSON bytes, or a plain list or map")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<T, E> {
        let mut json = Vec::with_capacity(bytes.len() * 4);
        DeflateDecoder::new(bytes)
            .take(MAX_INFLATED + 1)
            .read_to_end(&mut json)
            .map_err(E::custom)?;
        if json.len() as u64 > MAX_INFLATED {
            return Err(E::custom("packed history larger than its bound"));
        }
        serde_json::from_slice(&json).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use aws_sdk_dynamodb::types::AttributeValue;
    use lookout_core::time::Timestamp;
    use serde::Deserialize;

    use super::*;
    use crate::record::OutputRef;
    use crate::runs::{Run, RunOutcome};

    /// The history fields as the app record declares them.
    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct History {
        #[serde(default, skip_serializing_if = "Vec::is_empty", with = "super")]
        runs: Vec<Run>,
        #[serde(default, skip_serializing_if = "Vec::is_empty", with = "super")]
        outputs: Vec<OutputRef>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "super")]
        downtime: BTreeMap<String, u32>,
    }

    /// The same fields as items written before packing stored them.
    #[derive(Serialize)]
    struct Plain<'a> {
        runs: &'a [Run],
        outputs: &'a [OutputRef],
        downtime: &'a BTreeMap<String, u32>,
    }

    /// A month of an hourly job: its 20 kept runs, 20 outputs, 30 days booked.
    fn month() -> History {
        let t0 = Timestamp::now().unix_millis() - 30 * 86_400_000;
        let at = |ms: i64| {
            Timestamp::from_datetime(
                chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
            )
            .unwrap_or_else(Timestamp::now)
        };
        let runs = (0..20_i64)
            .map(|i| Run {
                run_id: Some(uuid::Uuid::new_v4().to_string()),
                started_at: Some(at(t0 + i * 3_600_000)),
                finished_at: at(t0 + i * 3_600_000 + 42_000),
                duration_ms: Some(42_000),
                outcome: if i % 7 == 0 {
                    RunOutcome::Fail
                } else {
                    RunOutcome::Success
                },
                exit_code: Some(if i % 7 == 0 { 1 } else { 0 }),
                reason: None,
            })
            .collect();
        let outputs = (0..20_i64)
            .map(|i| OutputRef {
                id: uuid::Uuid::new_v4().simple().to_string(),
                at: at(t0 + i * 3_600_000),
                kind: "success".into(),
                run_id: Some(uuid::Uuid::new_v4().to_string()),
                exit_code: Some(0),
                bytes: 1_200,
                truncated: false,
            })
            .collect();
        let first = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let downtime = (0..30_u32)
            .map(|d| ((first + chrono::Days::new(d.into())).to_string(), 60 * d))
            .collect();
        History {
            runs,
            outputs,
            downtime,
        }
    }

    /// DynamoDB's size of attribute values (names are counted by the caller): strings and
    /// binaries by length, numbers ~ their digits, lists and maps 3 bytes + elements (+ names).
    fn size(v: &AttributeValue) -> usize {
        match v {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.len().div_ceil(2) + 1,
            AttributeValue::B(b) => b.as_ref().len(),
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::L(l) => 3 + l.iter().map(|e| 1 + size(e)).sum::<usize>(),
            AttributeValue::M(m) => 3 + m.iter().map(|(k, e)| 1 + k.len() + size(e)).sum::<usize>(),
            _ => 0,
        }
    }

    fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
        item.iter().map(|(k, v)| k.len() + size(v)).sum()
    }

    #[test]
    fn a_months_history_packs_small_and_reads_back() {
        let history = month();
        let packed: HashMap<String, AttributeValue> = serde_dynamo::to_item(&history).unwrap();
        assert!(
            packed.values().all(|v| matches!(v, AttributeValue::B(_))),
            "{packed:?}"
        );
        let plain: HashMap<String, AttributeValue> = serde_dynamo::to_item(Plain {
            runs: &history.runs,
            outputs: &history.outputs,
            downtime: &history.downtime,
        })
        .unwrap();
        let (packed_bytes, plain_bytes) = (item_size(&packed), item_size(&plain));
        // 6,497 B as lists and maps, 1,913 B packed (when this test was written).
        assert!(plain_bytes > 5_000, "plain {plain_bytes} B");
        assert!(
            packed_bytes * 2 < plain_bytes,
            "packed {packed_bytes} B, plain {plain_bytes} B"
        );
        let back: History = serde_dynamo::from_item(packed).unwrap();
        assert_eq!(back, history);
    }

    #[test]
    fn an_item_written_before_packing_reads_as_it_was_written() {
        let history = month();
        let plain: HashMap<String, AttributeValue> = serde_dynamo::to_item(Plain {
            runs: &history.runs,
            outputs: &history.outputs,
            downtime: &history.downtime,
        })
        .unwrap();
        assert!(matches!(plain["runs"], AttributeValue::L(_)));
        let back: History = serde_dynamo::from_item(plain).unwrap();
        assert_eq!(back, history);
        // An item without history reads as an empty one.
        let none: History =
            serde_dynamo::from_item(HashMap::<String, AttributeValue>::new()).unwrap();
        assert_eq!(none, History::default());
    }

    #[test]
    fn a_corrupt_packed_history_is_an_error_not_a_panic() {
        let mut item = HashMap::new();
        item.insert(
            "runs".to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
                b"not deflate".to_vec(),
            )),
        );
        assert!(serde_dynamo::from_item::<_, History>(item).is_err());
    }
}
