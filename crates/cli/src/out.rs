//! Standard output that a closed pipe ends quietly: `veedor tally | head -1` must stop without a
//! panic. `print!` and `println!` panic when standard output is closed; `out!` and `outln!`
//! return the error instead, and `main` takes a broken pipe as a normal end.

use std::io::Write as _;

/// Writes formatted text to standard output.
pub fn write_stdout(text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    std::io::stdout().lock().write_fmt(text)
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
