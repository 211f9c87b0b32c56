//! The CLI's one progress bar. In: the bytes a command will move. Out: a
//! bar on stderr with bytes done, MB/s, time left and a message (what is
//! being done, blobs done), or nothing when stderr is no terminal (piped,
//! redirected, CI).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal};
use std::time::Duration;

/// A bar for `total` bytes (0 when not known yet: set it with
/// `set_length`).
pub fn bar(total: u64) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}, {eta} left{msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Shows `text` after the figures (", text").
pub fn say(bar: &ProgressBar, text: impl AsRef<str>) {
    bar.set_message(format!(", {}", text.as_ref()));
}
