//! The report's text tables: aligned columns, and the formats of their cells.

use anyhow::Result;

/// KiB as `x.y MiB`.
pub(crate) fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

/// `base / x` as `n.nx`, or `-` where either is not positive.
pub(crate) fn ratio(base: f64, x: f64) -> String {
    if x > 0.0 && base > 0.0 {
        format!("{:.1}x", base / x)
    } else {
        "-".into()
    }
}

/// One decimal.
pub(crate) fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// Two decimals.
pub(crate) fn f2(x: f64) -> String {
    format!("{x:.2}")
}

/// Dollars: no cents from $100 on.
pub(crate) fn usd(x: f64) -> String {
    if x >= 100.0 {
        format!("${x:.0}")
    } else {
        format!("${x:.2}")
    }
}

/// Writes an aligned table; the first `left` columns are left-aligned.
pub(crate) fn table(
    out: &mut impl std::io::Write,
    header: &[&str],
    rows: &[Vec<String>],
    left: usize,
) -> Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < left {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    writeln!(out)?;
    Ok(())
}
