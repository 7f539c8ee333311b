//! The `ssewire-hub` command; see [`ssewire_hub::cli`].

fn main() -> std::process::ExitCode {
    ssewire_hub::cli::run()
}
