//! The native command line (placeholder until the inspect command lands).

pub fn run() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
