//! The intrinsic functions of a template (`!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!Select`,
//! `!Split`, `!If`, `!Equals`, `!Not`, `!Condition`, in short and long forms), and
//! [`Resolve`], which resolves them against the values a caller knows.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Result};
use yaml_serde::Value;

/// The logical id named by `!GetAtt X.Arn`, `!Ref X` or their long forms.
pub fn ref_target(v: &Value) -> Result<String> {
    match intrinsic(v) {
        Some(("Ref", arg)) => arg
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("bad Ref")),
        Some(("Fn::GetAtt", arg)) => getatt_parts(arg).map(|(id, _)| id),
        _ => bail!("expected !Ref or !GetAtt, got {v:?}"),
    }
}

/// `(name, argument)` of an intrinsic function in short (`!Ref x`) or long (`{Ref: x}`) form.
pub fn intrinsic(v: &Value) -> Option<(&'static str, &Value)> {
    const NAMES: [(&str, &str); 10] = [
        ("Ref", "Ref"),
        ("GetAtt", "Fn::GetAtt"),
        ("Sub", "Fn::Sub"),
        ("Join", "Fn::Join"),
        ("Select", "Fn::Select"),
        ("Split", "Fn::Split"),
        ("If", "Fn::If"),
        ("Equals", "Fn::Equals"),
        ("Not", "Fn::Not"),
        ("Condition", "Condition"),
    ];
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            let tag = tag.trim_start_matches('!');
            NAMES
                .iter()
                .find(|(short, _)| *short == tag)
                .map(|(_, long)| (*long, &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            NAMES
                .iter()
                .find(|(_, long)| *long == k)
                .map(|(_, long)| (*long, arg))
        }
        _ => None,
    }
}

/// `X.Arn` or `[X, Arn]` → `(X, Arn)`.
pub fn getatt_parts(arg: &Value) -> Result<(String, String)> {
    match arg {
        Value::String(s) => s
            .split_once('.')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .ok_or_else(|| anyhow!("bad GetAtt {s}")),
        Value::Sequence(parts) if parts.len() == 2 => Ok((
            scalar(&parts[0]).ok_or_else(|| anyhow!("bad GetAtt"))?,
            scalar(&parts[1]).ok_or_else(|| anyhow!("bad GetAtt"))?,
        )),
        _ => bail!("bad GetAtt {arg:?}"),
    }
}

/// A YAML scalar as text.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Resolves intrinsic functions against known values.
pub trait Resolve {
    /// `!Ref name` (a parameter, a pseudo parameter or a resource).
    fn reference(&self, name: &str) -> Result<String>;
    /// `!GetAtt id.attr`.
    fn attribute(&self, id: &str, attr: &str) -> Result<String>;

    /// A value with intrinsics resolved to text.
    fn resolve(&self, v: &Value) -> Result<String> {
        if let Some(s) = scalar(v) {
            return Ok(s);
        }
        match intrinsic(v) {
            Some(("Ref", arg)) => self.reference(arg.as_str().ok_or_else(|| anyhow!("bad Ref"))?),
            Some(("Fn::GetAtt", arg)) => {
                let (id, attr) = getatt_parts(arg)?;
                self.attribute(&id, &attr)
            }
            Some(("Fn::Sub", Value::String(text))) => self.substitute(text, &BTreeMap::new()),
            Some(("Fn::Sub", Value::Sequence(parts))) if parts.len() == 2 => {
                let text = parts[0].as_str().ok_or_else(|| anyhow!("bad Sub"))?;
                let vars = parts[1]
                    .as_mapping()
                    .ok_or_else(|| anyhow!("bad Sub variables"))?
                    .iter()
                    .map(|(k, v)| {
                        let k = k.as_str().ok_or_else(|| anyhow!("bad Sub variable"))?;
                        Ok((k.to_owned(), self.resolve(v)?))
                    })
                    .collect::<Result<BTreeMap<_, _>>>()?;
                self.substitute(text, &vars)
            }
            Some(("Fn::Select", Value::Sequence(parts))) if parts.len() == 2 => {
                let index: usize = self.resolve(&parts[0])?.parse()?;
                let items = self.resolve_list(&parts[1])?;
                items
                    .into_iter()
                    .nth(index)
                    .ok_or_else(|| anyhow!("Select index {index} out of range"))
            }
            Some(("Fn::If", Value::Sequence(parts))) if parts.len() == 3 => {
                let name = parts[0].as_str().ok_or_else(|| anyhow!("bad If"))?;
                if self.condition(name)? {
                    self.resolve(&parts[1])
                } else {
                    self.resolve(&parts[2])
                }
            }
            Some(("Fn::Join", Value::Sequence(parts))) if parts.len() == 2 => {
                let sep = parts[0].as_str().unwrap_or_default();
                let items = parts[1].as_sequence().ok_or_else(|| anyhow!("bad Join"))?;
                let resolved: Result<Vec<String>> = items.iter().map(|i| self.resolve(i)).collect();
                Ok(resolved?.join(sep))
            }
            _ => bail!("cannot resolve {v:?}"),
        }
    }

    /// A list: `!Split [sep, text]` or a sequence of values.
    fn resolve_list(&self, v: &Value) -> Result<Vec<String>> {
        match (intrinsic(v), v) {
            (Some(("Fn::Split", Value::Sequence(parts))), _) if parts.len() == 2 => {
                let sep = parts[0].as_str().ok_or_else(|| anyhow!("bad Split"))?;
                let text = self.resolve(&parts[1])?;
                Ok(text.split(sep).map(str::to_owned).collect())
            }
            (None, Value::Sequence(items)) => items.iter().map(|i| self.resolve(i)).collect(),
            _ => bail!("cannot resolve {v:?} as a list"),
        }
    }

    /// The value of the named entry of the template's `Conditions`. Resolvers that know no
    /// conditions refuse.
    fn condition(&self, name: &str) -> Result<bool> {
        bail!("condition {name} is unknown here")
    }

    /// A condition expression: `!Equals`, `!Not`, `!Condition`.
    fn evaluate(&self, v: &Value) -> Result<bool> {
        match intrinsic(v) {
            Some(("Fn::Equals", Value::Sequence(parts))) if parts.len() == 2 => {
                Ok(self.resolve(&parts[0])? == self.resolve(&parts[1])?)
            }
            Some(("Fn::Not", Value::Sequence(parts))) if parts.len() == 1 => {
                Ok(!self.evaluate(&parts[0])?)
            }
            Some(("Condition", Value::String(name))) => self.condition(name),
            _ => bail!("cannot evaluate condition {v:?}"),
        }
    }

    /// `${Name}` and `${Id.Attr}` in a `!Sub` string; `vars` are its own variables.
    fn substitute(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in {text}"))?;
            let name = &after[..end];
            let value = match name.split_once('.') {
                _ if vars.contains_key(name) => vars[name].clone(),
                Some((id, attr)) if !name.starts_with("AWS::") => self.attribute(id, attr)?,
                _ => self.reference(name)?,
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Result;
    use yaml_serde::Value;

    use super::{ref_target, Resolve};

    struct Fixed;
    impl Resolve for Fixed {
        fn reference(&self, name: &str) -> Result<String> {
            Ok(format!("ref:{name}"))
        }
        fn attribute(&self, id: &str, attr: &str) -> Result<String> {
            Ok(format!("att:{id}:{attr}"))
        }
    }

    #[test]
    fn resolves_short_and_long_intrinsics() {
        let v: Value = yaml_serde::from_str("!Ref Foo").unwrap();
        assert_eq!(Fixed.resolve(&v).unwrap(), "ref:Foo");
        let v: Value = yaml_serde::from_str("{'Fn::GetAtt': [Q, Arn]}").unwrap();
        assert_eq!(Fixed.resolve(&v).unwrap(), "att:Q:Arn");
        let v: Value = yaml_serde::from_str("!Sub '${T.Arn}/index/x-${AWS::Region}'").unwrap();
        assert_eq!(
            Fixed.resolve(&v).unwrap(),
            "att:T:Arn/index/x-ref:AWS::Region"
        );
        let v: Value = yaml_serde::from_str("!GetAtt Q.Arn").unwrap();
        assert_eq!(ref_target(&v).unwrap(), "Q");
    }
}
