fn main() {
    // tauri.conf.json and the capabilities live beside this crate (the Tauri CLI, which builds
    // the .deb, looks for the config next to the app's Cargo.toml).
    tauri_build::build()
}
