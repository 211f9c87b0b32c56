//! Ctrl-C for the commands that stop cleanly (pack, unpack, pull, push,
//! verify of an archive). In: the first Ctrl-C of the process. Out: a flag
//! they poll between chunks, to stop, clean up and exit 130. One handler
//! for the whole process: ctrlc takes only one, and a command may run
//! another's code (`pull -o` packs), so every command asks for it through
//! [`catch`], which installs it once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();

/// From now on Ctrl-C sets the flag (a second press, once the command
/// has exited, kills as usual).
pub fn catch() {
    HANDLER.call_once(|| {
        if let Err(e) = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)) {
            eprintln!("ollama-pack: Ctrl-C will kill this command at once instead of stopping it cleanly ({e})");
        }
    });
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
