//! CPU of every server process a player touches (`--proc LABEL=PID[:FILTER]`), per
//! player-second of play.
//!
//! A process's CPU is the user + system time of its process tree, read from
//! `/proc/<pid>/stat`: for each live process of the tree (the process and every
//! descendant; a process's `stat` already sums its threads) `utime + stime + cutime +
//! cstime`. Counting the children's fields as well keeps the sum right when a descendant
//! exits in the window: its time moves into its parent's `cutime`/`cstime` when reaped.
//!
//! PostgreSQL is many processes (a postmaster and a backend per connection) and may be
//! shared with other users: `:FILTER` keeps only the processes of the tree whose command
//! line holds FILTER (backends show their database in it: `postgres=PID:orrery_lg`). With
//! a filter the root is not counted unless it matches, so the time of a matching backend
//! that exits during the window is lost (connection pools keep theirs).

use serde::Serialize;
use std::collections::HashMap;
use std::str::FromStr;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// One `--proc` flag: a label, the root of a process tree, an optional filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcSpec {
    pub label: String,
    pub pid: i32,
    pub filter: Option<String>,
}

impl FromStr for ProcSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (label, rest) = s.split_once('=').ok_or_else(|| format!("--proc {s:?}: expected LABEL=PID or LABEL=PID:FILTER"))?;
        let (pid, filter) = match rest.split_once(':') {
            Some((pid, filter)) if !filter.is_empty() => (pid, Some(filter.to_owned())),
            Some(_) => return Err(format!("--proc {s:?}: the filter after ':' is empty")),
            None => (rest, None),
        };
        if label.is_empty() {
            return Err(format!("--proc {s:?}: the label is empty"));
        }
        let pid = pid.parse::<i32>().ok().filter(|p| *p > 0).ok_or_else(|| format!("--proc {s:?}: {pid:?} is not a process id"))?;
        Ok(Self { label: label.to_owned(), pid, filter })
    }
}

/// One process as `/proc/<pid>/stat` describes it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Stat {
    ppid: i32,
    /// utime + stime + cutime + cstime, clock ticks.
    ticks: u64,
}

/// `ppid` is field 4; utime, stime, cutime, cstime are fields 14–17. The command name
/// (field 2) may hold spaces and parentheses, so count from the last `)`.
fn parse_stat(stat: &str) -> Option<Stat> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so field n is at index n − 3.
    let ppid = f.get(1)?.parse().ok()?;
    let ticks = (11..=14).map(|i| f.get(i)?.parse::<u64>().ok()).sum::<Option<u64>>()?;
    Some(Stat { ppid, ticks })
}

/// Every process on the machine: pid → (stat, command line).
fn all_processes() -> HashMap<i32, (Stat, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return HashMap::new() };
    dir.filter_map(|e| {
        let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        Some((pid, (stat, cmdline)))
    })
    .collect()
}

/// The processes of `spec`'s tree that count, and their CPU time, from `procs`.
fn tree_ticks(spec: &ProcSpec, procs: &HashMap<i32, (Stat, String)>) -> Option<(usize, u64)> {
    procs.get(&spec.pid)?;
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (pid, (stat, _)) in procs {
        children.entry(stat.ppid).or_default().push(*pid);
    }
    let (mut stack, mut counted, mut ticks) = (vec![spec.pid], 0, 0);
    while let Some(pid) = stack.pop() {
        let (stat, cmdline) = &procs[&pid];
        if spec.filter.as_deref().is_none_or(|f| cmdline.contains(f)) {
            counted += 1;
            ticks += stat.ticks;
        }
        stack.extend(children.get(&pid).into_iter().flatten());
    }
    Some((counted, ticks))
}

/// One reading of every `--proc` tree: (processes counted, CPU seconds), `None` for a
/// tree whose root is gone.
pub fn sample(specs: &[ProcSpec]) -> Vec<Option<(usize, f64)>> {
    if specs.is_empty() {
        return Vec::new();
    }
    let procs = all_processes();
    specs.iter().map(|s| tree_ticks(s, &procs).map(|(n, t)| (n, t as f64 / USER_HZ))).collect()
}

/// What one process tree cost over the window.
#[derive(Clone, Debug, Serialize)]
pub struct ProcCost {
    pub label: String,
    pub pid: i32,
    pub filter: Option<String>,
    /// Processes counted at the end of the window.
    pub processes: usize,
    pub cpu_secs: f64,
    /// CPU time over wall time: 1.0 is one core busy all the time.
    pub cores_used: f64,
    /// CPU microseconds per player-second of play.
    pub us_per_player_second: f64,
}

/// The cost of each tree between two samples, over `wall_secs` with `players` playing;
/// trees missing from either sample are left out.
pub fn costs(
    specs: &[ProcSpec],
    before: &[Option<(usize, f64)>],
    after: &[Option<(usize, f64)>],
    wall_secs: f64,
    players: usize,
) -> Vec<ProcCost> {
    specs
        .iter()
        .zip(before.iter().zip(after))
        .filter_map(|(spec, (b, a))| {
            let ((_, b), (n, a)) = ((*b)?, (*a)?);
            let cpu = (a - b).max(0.0);
            Some(ProcCost {
                label: spec.label.clone(),
                pid: spec.pid,
                filter: spec.filter.clone(),
                processes: n,
                cpu_secs: cpu,
                cores_used: cpu / wall_secs.max(1e-9),
                us_per_player_second: cpu * 1e6 / (wall_secs.max(1e-9) * players.max(1) as f64),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_bad_ones_say_why() {
        assert_eq!("gateway=42".parse(), Ok(ProcSpec { label: "gateway".into(), pid: 42, filter: None }));
        assert_eq!("postgres=7:orrery_lg".parse(), Ok(ProcSpec { label: "postgres".into(), pid: 7, filter: Some("orrery_lg".into()) }));
        for bad in ["gateway", "=42", "gateway=abc", "gateway=-3", "postgres=7:"] {
            assert!(bad.parse::<ProcSpec>().is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn a_stat_line_gives_the_parent_and_all_four_times() {
        let stat = "42 (a (b) c) S 7 2 3 4 5 6 7 8 9 10 250 50 20 30 0 0";
        assert_eq!(parse_stat(stat), Some(Stat { ppid: 7, ticks: 350 }));
        assert_eq!(parse_stat("42 (x) S"), None);
    }

    fn proc(ppid: i32, ticks: u64, cmdline: &str) -> (Stat, String) {
        (Stat { ppid, ticks }, cmdline.into())
    }

    #[test]
    fn a_tree_sums_its_descendants_and_a_filter_keeps_the_matching_ones() {
        let procs: HashMap<i32, (Stat, String)> = [
            (1, proc(0, 1000, "init")),
            (10, proc(1, 100, "postgres -D data")),
            (11, proc(10, 20, "postgres: checkpointer")),
            (12, proc(10, 300, "postgres: postgres orrery_lg 127.0.0.1(5000) idle")),
            (13, proc(10, 4000, "postgres: postgres other_db 127.0.0.1(5001) idle")),
            (14, proc(12, 5, "postgres: postgres orrery_lg parallel worker")),
            (20, proc(1, 9999, "unrelated")),
        ]
        .into_iter()
        .collect();
        let all = ProcSpec { label: "pg".into(), pid: 10, filter: None };
        assert_eq!(tree_ticks(&all, &procs), Some((5, 4425)));
        let ours = ProcSpec { filter: Some("orrery_lg".into()), ..all.clone() };
        assert_eq!(tree_ticks(&ours, &procs), Some((2, 305)));
        assert_eq!(tree_ticks(&ProcSpec { pid: 99, ..all }, &procs), None, "a root that is gone");
    }

    #[test]
    fn this_process_is_read_and_costs_come_per_player_second() {
        let spec = ProcSpec { label: "self".into(), pid: std::process::id() as i32, filter: None };
        let before = sample(std::slice::from_ref(&spec));
        assert!(matches!(before[0], Some((1.., _))));
        let c = costs(&[spec], &[Some((1, 1.0))], &[Some((1, 3.0))], 10.0, 100);
        assert_eq!(c.len(), 1);
        assert!((c[0].cores_used - 0.2).abs() < 1e-9);
        assert!((c[0].us_per_player_second - 2000.0).abs() < 1e-6, "2 s of CPU over 1000 player-seconds");
    }
}
