//! The mock self-service portal (being built; see issue 3).
fn main() {
    eprintln!("pocketpass-portal: not built yet");
    std::process::exit(1);
}
