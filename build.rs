//! Compiles the Slint UI in `ui/` into Rust.
//!
//! - Debug info is kept so that the UI tests can find elements by their accessible labels.
//! - The material style suits phones and reads well on desktops.
//! - The translations in `ui/translations/<lang>/LC_MESSAGES/pocketpass.po` are bundled into
//!   the binary; their message ids carry no context.
//!
//! Without the `ui` feature (the Android and iOS type-checks in CI) there is nothing to compile.
#[cfg(not(feature = "ui"))]
fn main() {
    // Nothing is generated, so nothing but this file can make the script's output stale. Without
    // the line, Cargo reruns the script, and rebuilds the library, whenever any file of the
    // package changes (a test, a document, the fuzz corpus's scripts).
    println!("cargo:rerun-if-changed=build.rs");
}

#[cfg(feature = "ui")]
fn main() {
    // Read when the script runs, not when it is compiled: a build folder shared by two
    // checkouts reuses the compiled script, and a path baked in would name the other checkout.
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let config = slint_build::CompilerConfiguration::new()
        .with_style("material".into())
        .with_debug_info(true)
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_bundled_translations(format!("{dir}/ui/translations"));
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint UI compiles");
}
