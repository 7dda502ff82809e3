//! Severity numbers and texts as levels.

use crate::Level;

#[test]
fn each_severity_range_is_one_level() {
    let expected = [
        (1..=4, Level::Trace),
        (5..=8, Level::Debug),
        (9..=12, Level::Info),
        (13..=16, Level::Warn),
        (17..=20, Level::Error),
        (21..=24, Level::Fatal),
    ];
    for (range, level) in expected {
        for n in range {
            // the number wins over a text that says otherwise
            assert_eq!(Level::from_severity(n, "debug"), level, "severity {n}");
        }
    }
}

#[test]
fn without_a_number_in_range_the_text_decides_in_any_case() {
    for (number, text, level) in [
        (0, "TRACE", Level::Trace),
        (0, "Debug", Level::Debug),
        (0, "info", Level::Info),
        (0, "NOTICE", Level::Info),
        (0, "WARNING", Level::Warn),
        (0, "warn2", Level::Warn),
        (-3, " Error ", Level::Error),
        (25, "ERR", Level::Error),
        (0, "CRITICAL", Level::Fatal),
        (0, "fatal4", Level::Fatal),
    ] {
        assert_eq!(
            Level::from_severity(number, text),
            level,
            "{number} {text:?}"
        );
    }
}

#[test]
fn neither_number_nor_known_text_is_info() {
    assert_eq!(Level::from_severity(0, ""), Level::Info);
    assert_eq!(Level::from_severity(99, "loud"), Level::Info);
    assert_eq!(Level::from_text("warn5"), None);
}

#[test]
fn levels_name_themselves_as_the_logs_domain_reads_them() {
    let names: Vec<&str> = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ]
    .into_iter()
    .map(Level::as_str)
    .collect();
    assert_eq!(names, ["trace", "debug", "info", "warn", "error", "fatal"]);
}
