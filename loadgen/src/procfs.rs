//! Samples of a gateway process from `/proc/<pid>`: resident memory and CPU time.

use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// One reading of a process.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Sample {
    pub pid: i32,
    /// `VmRSS`, bytes.
    pub rss_bytes: u64,
    /// User + system CPU time so far, seconds.
    pub cpu_secs: f64,
}

/// Read `pid`, or `None` if it is gone or unreadable.
pub fn sample(pid: i32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(Sample { pid, rss_bytes: vm_rss(&status)?, cpu_secs: cpu_secs(&stat)? })
}

fn vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// utime and stime are fields 14 and 15; the command name (field 2) may hold spaces, so
/// count from the last `)`.
fn cpu_secs(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field n is at index n − 3.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// What a process did between two samples.
#[derive(Clone, Debug, Serialize)]
pub struct Delta {
    pub pid: i32,
    pub rss_before_bytes: u64,
    pub rss_after_bytes: u64,
    pub cpu_secs: f64,
    /// CPU time over wall time: 1.0 is one core busy all the time.
    pub cores_used: f64,
}

pub fn delta(before: &Sample, after: &Sample, wall_secs: f64) -> Delta {
    let cpu = after.cpu_secs - before.cpu_secs;
    Delta {
        pid: before.pid,
        rss_before_bytes: before.rss_bytes,
        rss_after_bytes: after.rss_bytes,
        cpu_secs: cpu,
        cores_used: cpu / wall_secs.max(1e-9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let s = sample(std::process::id() as i32).expect("own /proc entry");
        assert!(s.rss_bytes > 0);
        assert!(s.cpu_secs >= 0.0);
    }

    #[test]
    fn a_command_name_with_spaces_does_not_shift_the_fields() {
        let stat = "42 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0";
        assert_eq!(cpu_secs(stat), Some(3.0));
    }
}
