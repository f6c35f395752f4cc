//! Overwriting a secret given on the command line (`pocketpass add URI`).
//!
//! A process's arguments stay readable by the same user's other processes (and by root) in
//! `/proc/PID/cmdline` for as long as it runs, which for `add` includes the wait at the PIN
//! prompt. The kernel reads that file from the process's own memory, the strings between the
//! `arg_start` and `arg_end` addresses of `/proc/self/stat`, so overwriting them there removes
//! the key from view. Our parsed copy of the arguments is taken before, so nothing is lost.
//!
//! This narrows the window to the moment between `exec` and this call; it cannot reach the
//! shell's history, which is why `--help` recommends leaving the link out and pasting it at the
//! hidden prompt. Only Linux (and Android) expose the range; elsewhere this does nothing.

/// Overwrites, in the process's argument memory, every argument equal to `secret` (the key
/// link as parsed from the command line). Returns whether it did.
pub(crate) fn scrub_argument(secret: &str) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        linux::scrub(secret.as_bytes()).is_some()
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = secret;
        false
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    /// Where the argument strings lie, from `/proc/self/stat` (fields 48 and 49).
    fn arg_range() -> Option<(usize, usize)> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name (field 2) may hold spaces and parentheses: count from its end.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3, so field N is fields[N - 3].
        let start = fields.get(48 - 3)?.parse().ok()?;
        let end = fields.get(49 - 3)?.parse().ok()?;
        (start < end).then_some((start, end))
    }

    pub(super) fn scrub(secret: &[u8]) -> Option<()> {
        if secret.is_empty() {
            return None;
        }
        let (start, end) = arg_range()?;
        let len = end - start;
        let expected: Vec<Vec<u8>> = std::env::args_os()
            .map(std::os::unix::ffi::OsStringExt::into_vec)
            .collect();
        // SAFETY: [start, end) is this process's argument area, mapped readable and writable
        // at the top of the main thread's stack by the kernel at exec and never unmapped. We
        // compare it with our own copy of the arguments before changing anything; nothing in
        // the program holds a reference into it (the standard library keeps only the `argv`
        // pointers and reads through them on demand, and every argument was copied when the
        // command line was parsed).
        let area = unsafe {
            std::slice::from_raw_parts_mut(std::ptr::with_exposed_provenance_mut::<u8>(start), len)
        };
        // Walk the NUL-separated strings; they must be exactly our arguments, or we touch
        // nothing.
        let mut places = Vec::new();
        let mut offset = 0;
        for arg in &expected {
            let stored = area.get(offset..offset + arg.len())?;
            if stored != arg.as_slice() || area.get(offset + arg.len()) != Some(&0) {
                return None;
            }
            if arg.as_slice() == secret {
                places.push(offset);
            }
            offset += arg.len() + 1;
        }
        for place in &places {
            area[*place..*place + secret.len()].fill(b'x');
        }
        (!places.is_empty()).then_some(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_argument_range_is_readable_here() {
            let (start, end) = arg_range().expect("Linux exposes the argument range");
            assert!(end > start);
        }

        #[test]
        fn an_argument_that_is_not_ours_is_not_touched() {
            assert!(scrub(b"no argument of this test binary is this").is_none());
            assert!(scrub(b"").is_none());
        }
    }
}
