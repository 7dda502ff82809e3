//! What Linux's `/proc` tells of a live process: its peak resident set size and the CPU
//! time of its threads.

use anyhow::{anyhow, Context, Result};

/// Linux's USER_HZ: the unit of utime/stime in /proc/<pid>/stat.
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// Peak resident set size (`VmHWM`) of a live process, in KiB.
pub(crate) fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    parse_vm_hwm(&status).ok_or_else(|| anyhow!("no VmHWM in /proc/{pid}/status"))
}

/// The `VmHWM` line of a `/proc/<pid>/status` text, in KiB.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
}

/// CPU time of a live process, in ms: the sum over its threads of the first field of
/// `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on a CPU), falling back to utime + stime of
/// `/proc/<pid>/stat` (10 ms ticks) where schedstat is missing. Threads that already exited
/// are not counted by the former; the runtimes measured keep their threads.
pub fn cpu_ms(pid: u32) -> Result<f64> {
    if let Some(ns) = schedstat_ns(pid) {
        return Ok(ns as f64 / 1e6);
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| ticks as f64 * 1000.0 / CLOCK_TICKS_PER_S)
        .ok_or_else(|| anyhow!("malformed /proc/{pid}/stat"))
}

/// Nanoseconds on a CPU of all live threads of `pid`; `None` without schedstat.
fn schedstat_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread may exit between listing and reading: skip it.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line, in clock ticks.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces; fields after it start past the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14 → index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::{parse_cpu_ticks, parse_vm_hwm};

    #[test]
    fn vm_hwm_is_read_from_proc_status() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t  20000 kB\nVmHWM:\t    8123 kB\nVmRSS:\t 8000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(8123));
        assert_eq!(parse_vm_hwm("VmRSS:\t 8000 kB\n"), None);
    }

    #[test]
    fn cpu_ticks_are_read_from_proc_stat() {
        let stat = "1234 (boot strap) S 1 1234 1234 0 -1 4194560 500 0 0 0 17 5 0 0 20 0 3 0 100 \
                    1000000 2000 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(22));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }
}
