//! Mail addresses as Lookout accepts them.

/// A single bare address `local@domain` (no display name, no spaces or line breaks).
pub(crate) fn check_address(addr: &str) -> Result<(), String> {
    let ok = addr.len() <= 254
        && !addr.chars().any(|c| c.is_whitespace() || c.is_control())
        && addr
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(format!("{addr:?} is not a mail address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(check_address("admin@example.com").is_ok());
        for bad in [
            "",
            "admin",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@x.com\r\nBcc: x",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }
}
