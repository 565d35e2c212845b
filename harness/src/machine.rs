//! What the run ran on: CPU, cores, the strata build's git revision, and
//! the process's peak memory. Recorded in every CSV row.

/// The machine and build of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo, or `unknown`.
    pub cpu_model: String,
    /// `cache size` from /proc/cpuinfo, or empty.
    pub cpu_cache: String,
    /// Logical CPUs available to the process.
    pub cpu_cores: u32,
    /// `git rev-parse --short HEAD` of the strata source tree (`-dirty`
    /// appended when tracked files are modified), or `unknown`.
    pub git_rev: String,
}

impl Machine {
    /// Probes the machine (reads /proc/cpuinfo, runs git once).
    pub fn probe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Machine {
            cpu_model: cpuinfo_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            cpu_cache: cpuinfo_field(&cpuinfo, "cache size").unwrap_or_default(),
            cpu_cores: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1),
            git_rev: git_rev(),
        }
    }
}

/// The last value of `key` in /proc/cpuinfo's `key : value` lines (as
/// db_bench reads it).
fn cpuinfo_field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_string())
        .next_back()
}

/// The revision of the tree this binary was built from, recorded by the
/// build script (`-dirty` when tracked files differed from the commit: a
/// run of uncommitted code must not pass for the commit; `unknown` outside
/// a git checkout). Read at build time, so an old binary run later still
/// names the code it was built from.
fn git_rev() -> String {
    env!("STRATA_BUILD_GIT_REV").to_string()
}

/// Peak resident set size of this process so far, bytes (`VmHWM` of
/// /proc/self/status; 0 where there is no /proc).
pub fn peak_rss_bytes() -> u64 {
    strata_workloads::measure::rss::peak_rss_bytes(None).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpuinfo_and_status() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\ncache size\t: 512 KB\n\n\
                       processor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(
            cpuinfo_field(cpuinfo, "model name").as_deref(),
            Some("AMD EPYC 7B13")
        );
        assert_eq!(
            cpuinfo_field(cpuinfo, "cache size").as_deref(),
            Some("512 KB")
        );
        assert_eq!(cpuinfo_field(cpuinfo, "flags"), None);
    }

    #[test]
    fn probe_gives_something() {
        let m = Machine::probe();
        assert!(m.cpu_cores >= 1);
        assert!(!m.git_rev.is_empty());
        assert!(peak_rss_bytes() > 0);
    }
}
