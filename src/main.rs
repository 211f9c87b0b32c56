//! Entry point: in the browser (wasm32) it renders the Yew app; natively it
//! runs the `ollama-pack` command line and exits with its code.

#[cfg(target_arch = "wasm32")]
fn main() {
    ollama_pack::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    ollama_pack::cli::run()
}
