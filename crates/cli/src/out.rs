//! Standard output that a closed pipe ends quietly: `veedor tally | head -1` must stop without a
//! panic. `print!` and `println!` panic when standard output is closed; `out!` and `outln!`
//! return the error instead, and `main` takes a broken pipe as a normal end.
//!
//! Text printed comes partly from files that anyone may have forged (area names, file names,
//! device names, problem messages quoting a cell), so everything written to the terminal through
//! `out!`, `outln!` and `errln!` has its control characters replaced by `?` (ESC and the
//! rest of C0, DEL and C1; line breaks and tabs are kept): an escape sequence in a name cannot
//! recolour, retitle or clear the terminal, or hide what is printed around it.

use std::borrow::Cow;
use std::io::Write as _;

/// `text` with every control character but `\n` and `\t` replaced by `?`.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.contains(unsafe_char) {
        Cow::Owned(
            text.chars()
                .map(|c| if unsafe_char(c) { '?' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Writes formatted text to standard output, made safe for a terminal.
pub fn write_stdout(text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let text = text.to_string();
    std::io::stdout()
        .lock()
        .write_all(terminal_safe(&text).as_bytes())
}

/// Writes formatted text and a line break to standard error, as `eprintln!` does, made safe for
/// a terminal.
pub fn write_stderr_line(text: std::fmt::Arguments<'_>) {
    let text = text.to_string();
    eprintln!("{}", terminal_safe(&text));
}

/// `print!` that returns the error (with `?`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_stdout(format_args!($($arg)*))?
    };
}

/// `println!` that returns the error (with `?`) instead of panicking.
macro_rules! outln {
    () => {
        $crate::out::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::out::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `eprintln!` with control characters replaced ([`terminal_safe`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::write_stderr_line(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_do_not_reach_the_terminal() {
        assert_eq!(terminal_safe("PQ. EL RECREO\n"), "PQ. EL RECREO\n");
        assert_eq!(
            terminal_safe("a\u{1b}[2Jb\tc\r\u{9b}d\u{7f}"),
            "a?[2Jb\tc??d?"
        );
    }
}
