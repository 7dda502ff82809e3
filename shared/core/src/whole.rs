//! Integer fields that also take a whole JSON float (`60.0` for `60`), as JSON Schema's
//! `integer` does and as clients that compute numbers in floating point send them.
//! A fraction (`1.5`) or a value out of the field's range is still a 400.
//!
//! ```ignore
//! #[serde(default, deserialize_with = "lookout_core::whole::option")]
//! pub period_seconds: Option<u32>,
//! #[serde(deserialize_with = "lookout_core::whole::required")]
//! pub pid: u64,
//! ```

use std::{fmt, marker::PhantomData};

use serde::{
    de::{Error, Unexpected, Visitor},
    Deserialize, Deserializer,
};

/// -2^63 and 2^64 as floats (exact): the bounds of a whole float that fits `i64` / `u64`.
const I64_MIN_F: f64 = f64::from_bits(0xC3E0_0000_0000_0000);
const U64_END_F: f64 = f64::from_bits(0x43F0_0000_0000_0000);

/// An integer of type `T` that JSON may spell as a whole float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<T>(pub T);

struct WholeVisitor<T>(PhantomData<T>);

impl<'de, T: TryFrom<i64> + TryFrom<u64>> Visitor<'de> for WholeVisitor<T> {
    type Value = Whole<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer in range")
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Whole)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Whole)
            .map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    // The casts are exact: `v` is whole and inside the target's range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() != 0.0 || !(I64_MIN_F..U64_END_F).contains(&v) {
            return Err(E::invalid_type(Unexpected::Float(v), &self));
        }
        if v < 0.0 {
            self.visit_i64(v as i64)
        } else {
            self.visit_u64(v as u64)
        }
    }
}

impl<'de, T: TryFrom<i64> + TryFrom<u64>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WholeVisitor(PhantomData))
    }
}

/// For `deserialize_with` on a required integer field.
pub fn required<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(
    d: D,
) -> Result<T, D::Error> {
    Whole::<T>::deserialize(d).map(|w| w.0)
}

/// For `deserialize_with` on an `Option` integer field (with `#[serde(default)]`): `null` is
/// `None`.
pub fn option<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<Whole<T>>::deserialize(d).map(|o| o.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct In {
        #[serde(deserialize_with = "required")]
        n: u32,
        #[serde(default, deserialize_with = "option")]
        m: Option<i32>,
    }

    fn parse(s: &str) -> Result<In, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    #[test]
    fn the_bounds_are_two_to_the_63_and_64() {
        assert_eq!(I64_MIN_F, -(2f64.powi(63)));
        assert_eq!(U64_END_F, 2f64.powi(64));
    }

    #[test]
    fn whole_floats_are_integers_and_nothing_else_is() {
        let got = parse(r#"{"n": 60.0, "m": -3.0}"#).unwrap();
        assert_eq!((got.n, got.m), (60, Some(-3)));
        let got = parse(r#"{"n": 7, "m": null}"#).unwrap();
        assert_eq!((got.n, got.m), (7, None));
        assert_eq!(parse(r#"{"n": 4294967295}"#).unwrap().n, u32::MAX);
        assert_eq!(parse(r#"{"n": 1e3}"#).unwrap().n, 1000);
        for bad in [
            r#"{"n": 1.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": -1.0}"#,
            r#"{"n": 4294967296}"#,
            r#"{"n": 4294967296.0}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": "1"}"#,
            r#"{"n": true}"#,
            r#"{"n": null}"#,
            r#"{"n": 1, "m": 2147483648}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
