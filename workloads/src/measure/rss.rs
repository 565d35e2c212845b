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

/// Peak resident set size in bytes of `child`, a process this one spawned
/// and has not reaped: from `/proc` while it runs, and once it has exited
/// (a zombie has no `VmHWM` line) from `waitid`'s resource usage with
/// `WNOWAIT`, which leaves the child to be reaped by
/// [`wait_with_peak_rss`]. `None` only where neither answers.
pub fn peak_rss_bytes_of_child(child: &Child) -> Option<u64> {
    if let Some(peak) = peak_rss_bytes(Some(child.id())) {
        return Some(peak);
    }
    // An unreaped child's status file stays until it is reaped; without a
    // peak line there it has released its memory, so it is exiting and
    // waiting for it to become a zombie does not wait on its work.
    let exiting = std::path::Path::new(&format!("/proc/{}/status", child.id())).exists();
    exited_child_peak_rss_bytes(child, exiting)
}

/// `waitid(P_PID, pid, WEXITED | WNOWAIT)` with the kernel's fifth
/// argument, the child's resource usage (glibc's wrapper lacks it): the
/// peak of an exited child without reaping it. Unless `block`, `WNOHANG`
/// too, and `None` while the child runs.
fn exited_child_peak_rss_bytes(child: &Child, block: bool) -> Option<u64> {
    let pid = libc::id_t::from(child.id());
    // SAFETY: both are plain old data; zeroed is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `info` and `usage` are valid for writes for the call's
    // duration; WNOWAIT leaves the child's state as it was.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_waitid,
            libc::P_PID,
            pid,
            &mut info as *mut libc::siginfo_t,
            libc::WEXITED | libc::WNOWAIT | if block { 0 } else { libc::WNOHANG },
            &mut usage as *mut libc::rusage,
        )
    };
    // A child still running (only with WNOHANG) leaves `si_pid` zero.
    // SAFETY: `info` was zeroed and then filled by the kernel, if at all.
    if rc != 0 || unsafe { info.si_pid() } == 0 {
        return None;
    }
    u64::try_from(usage.ru_maxrss)
        .ok()
        .filter(|&kib| kib > 0)
        .map(|kib| kib * 1024)
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
    fn an_exited_unreaped_childs_peak_comes_from_waitid_and_it_stays_reapable() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        // Wait, without reaping, until it is a zombie: /proc has no peak then.
        let status_path = format!("/proc/{}/status", child.id());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !std::fs::read_to_string(&status_path).is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'))
        }) {
            assert!(std::time::Instant::now() < deadline, "true did not exit");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(peak_rss_bytes(Some(child.id())), None, "a zombie's /proc");
        let peak = peak_rss_bytes_of_child(&child);
        assert!(peak.is_some_and(|b| b > 0), "{peak:?}");
        let (status, reaped_peak) = wait_with_peak_rss(&mut child).expect("wait4");
        assert!(status.success());
        assert_eq!(reaped_peak, peak, "WNOWAIT left it to be reaped");
    }

    #[test]
    fn a_running_childs_peak_comes_from_proc() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        let peak = peak_rss_bytes_of_child(&child);
        let _ = child.kill();
        let _ = child.wait();
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
