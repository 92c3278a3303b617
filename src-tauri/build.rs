fn main() {
    // The config lives at the repository root (shared with packaging); capabilities stay here.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script failed");
}
