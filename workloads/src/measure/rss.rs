//! Peak resident set size of a process, from Linux's `/proc/<pid>/status`
//! (`VmHWM`): strata's own for its engines' rows, a peer db_bench's for its
//! (or, once the peer has exited, from `wait4`).

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};

/// Peak resident set size so far of process `pid` (`None`: this process),
/// bytes; `None` where there is no `/proc` or the process is gone (a
/// reaped or zombie process has no `VmHWM` line).
pub fn peak_rss_bytes(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| parse_vm_hwm(&s))
}

/// Waits for `child` to exit and returns its exit status and its peak
/// resident set size in bytes (`wait4`'s `ru_maxrss`): what a process that
/// has already exited can no longer show in `/proc`.
///
/// # Errors
/// `wait4`'s error (other than `EINTR`, which is retried).
pub fn wait_with_peak_rss(child: &mut Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes for the call's
        // duration; `pid` is our own child, not yet reaped.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // Linux reports ru_maxrss in KiB.
    let peak = u64::try_from(usage.ru_maxrss).ok().map(|kib| kib * 1024);
    Ok((ExitStatus::from_raw(status), peak))
}

/// The `VmHWM:` line of a `/proc/<pid>/status` text, in bytes.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_text() {
        assert_eq!(
            parse_vm_hwm("Name:\tx\nVmHWM:\t   12345 kB\n"),
            Some(12345 * 1024)
        );
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn an_exited_childs_peak_comes_from_wait4() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let (status, peak) = wait_with_peak_rss(&mut child).expect("wait4");
        assert!(status.success());
        assert!(peak.is_some_and(|b| b > 0), "{peak:?}");
    }

    #[test]
    fn reads_this_process_and_a_child() {
        assert!(peak_rss_bytes(None).is_some_and(|b| b > 0));
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        let of_child = peak_rss_bytes(Some(child.id()));
        let _ = child.kill();
        let _ = child.wait();
        assert!(of_child.is_some_and(|b| b > 0), "{of_child:?}");
        assert_eq!(peak_rss_bytes(Some(child.id())), None, "reaped");
    }
}
